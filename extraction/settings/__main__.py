"""``python -m extraction.settings --check | --write``: the README configuration table.

``--check`` exits 1 when the table in README.md differs from the settings classes;
``--write`` rewrites it in place; ``--print`` shows the table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from extraction.settings.catalog import README, markdown_table, render_readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extraction.settings", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 if the README table is stale")
    action.add_argument("--write", action="store_true", help="rewrite the README table from the settings classes")
    action.add_argument("--print", action="store_true", help="print the table")
    parser.add_argument("--readme", type=Path, default=README, help=f"the README to check or write (default {README})")
    args = parser.parse_args(argv)
    if args.print:
        print(markdown_table(), end="")
        return 0
    current = args.readme.read_text(encoding="utf-8")
    wanted = render_readme(current)
    if args.write:
        if wanted != current:
            args.readme.write_text(wanted, encoding="utf-8")
            print(f"{args.readme}: settings table rewritten")
        return 0
    if wanted != current:
        print(f"{args.readme}: the settings table is stale; run: python -m extraction.settings --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
