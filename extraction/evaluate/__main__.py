"""Entry point for ``python -m extraction.evaluate``."""

import sys

from extraction.evaluate.cli import main

if __name__ == "__main__":
    sys.exit(main())
