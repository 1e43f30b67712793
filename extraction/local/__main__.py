"""``python -m extraction.local``: the ``extract`` command without the console script."""

from extraction.local.cli import main

raise SystemExit(main())
