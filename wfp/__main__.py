"""``python -m wfp``: the same as the ``wfp`` command."""

import sys

from wfp.cli import main

if __name__ == "__main__":
    sys.exit(main())
