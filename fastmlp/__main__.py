"""``python -m fastmlp``: the same command line as ``fastmlp``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m fastmlp"))
