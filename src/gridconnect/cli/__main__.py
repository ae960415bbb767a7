"""``python -m gridconnect.cli``: the ``gridconnect`` command."""

import sys

from gridconnect.cli import main

main(sys.argv[1:])
