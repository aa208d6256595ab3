"""``python -m ecosim``."""

import sys

from ecosim.cli import main

if __name__ == "__main__":
    sys.exit(main())
