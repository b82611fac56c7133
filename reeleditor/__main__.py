"""Entry point for `python -m reeleditor` (also the frozen installer's entry)."""

import sys

from reeleditor.cli import main

if __name__ == "__main__":
    sys.exit(main())
