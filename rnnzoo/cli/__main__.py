"""`python -m rnnzoo.cli ...`: the `rnnzoo` command (as `python -m rnnzoo`)."""

import sys

from rnnzoo.cli import main

if __name__ == "__main__":
    sys.exit(main())
