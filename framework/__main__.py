"""``python -m framework``: the command line (train, demo), see :mod:`framework.app.cli`."""

import sys

from .app.cli import main

if __name__ == "__main__":
    sys.exit(main())
