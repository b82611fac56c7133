"""Runs reeleditor's command line with the upload commands registered (subprocess tests)."""

import sys

from reeleditor import cli
from reeleditor.commands import upload

if upload not in cli.COMMAND_MODULES:
    cli.COMMAND_MODULES.append(upload)
sys.exit(cli.main())
