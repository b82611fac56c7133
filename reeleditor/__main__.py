"""Entry point for `python -m reeleditor` (also the frozen installer's entry)."""

import os
import sys

from reeleditor.cli import main

if __name__ == "__main__":
    # the windowed Windows build has no console: Python leaves stdout and stderr None, and
    # the first progress line would raise; they go nowhere instead (the log file stays)
    if sys.stdout is None or sys.stderr is None:
        nowhere = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - open for the run
        sys.stdout = sys.stdout or nowhere
        sys.stderr = sys.stderr or nowhere
    sys.exit(main())
