"""``python -m builder.synth invoices|receipts --n N --out DIR [--seed S] [--locales ...] [--scan-share F]``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

from builder.synth.dataset import KINDS, Options, write_dataset
from builder.synth.fonts import font_set
from builder.synth.locales import locale_names


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.synth", description="Write synthetic invoices or receipts with a manifest.jsonl of their true fields.")
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--n", type=int, default=100, help="how many documents (default 100)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (documents under files/, manifest.jsonl)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--locales", help=f"comma-separated locales (default all: {', '.join(locale_names())})")
    parser.add_argument("--scan-share", type=float, default=None, help="share rendered as scanned images (default 0.3 invoices, 0.7 receipts)")
    parser.add_argument("--dpi", type=float, default=0.0, help="scan resolution (default drawn per document)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.scan_share is not None and not 0 <= args.scan_share <= 1:
        parser.error("--scan-share must be between 0 and 1")
    locales = [name.strip() for name in args.locales.split(",")] if args.locales else None
    unknown = [name for name in locales or [] if name not in locale_names()]
    if unknown:
        parser.error(f"unknown locale(s) {', '.join(unknown)}; known: {', '.join(locale_names())}")
    if not font_set().unicode:
        print("warning: no DejaVu fonts found (set SYNTH_FONT_DIR); letters outside Latin-1 are folded", file=sys.stderr)
    manifest = write_dataset(Options(kind=KINDS[args.kind], count=args.n, out=args.out, seed=args.seed, locales=locales, scan_share=args.scan_share, dpi=args.dpi))
    rows = [line for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    import json

    formats = Counter(json.loads(row)["format"] for row in rows)
    languages = Counter(json.loads(row)["language"] for row in rows)
    print(f"{len(rows)} {args.kind} written to {args.out} ({', '.join(f'{k} {v}' for k, v in sorted(formats.items()))}; languages: {', '.join(f'{k} {v}' for k, v in sorted(languages.items()))})")
    print(f"score them with: python -m extraction.evaluate {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
