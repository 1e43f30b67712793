"""``python -m builder.synth_receipts --n N --out DIR [--seed S] [--locales de-DE,...]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

from builder.synth.fonts import font_set
from builder.synth.locales import locale_names
from builder.synth_receipts.lines import boxes_text, make_receipt


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.synth_receipts", description="Write synthetic receipts as OCR line boxes with a manifest.jsonl of their true fields.")
    parser.add_argument("--n", type=int, default=100, help="how many receipts (default 100)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (boxes/, manifest.jsonl)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--locales", help=f"comma-separated locales (default all: {', '.join(locale_names())})")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    locales = [name.strip() for name in args.locales.split(",")] if args.locales else None
    unknown = [name for name in locales or [] if name not in locale_names()]
    if unknown:
        parser.error(f"unknown locale(s) {', '.join(unknown)}; known: {', '.join(locale_names())}")
    fonts = font_set()
    (args.out / "boxes").mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(args.n):
        receipt = make_receipt(args.seed, index, locales, fonts)
        path = args.out / "boxes" / f"{receipt.id}.txt"
        path.write_text(boxes_text(receipt), encoding="utf-8")
        rows.append({"id": receipt.id, "fields": receipt.fields, "ocr_boxes": f"boxes/{receipt.id}.txt", "language": receipt.language, "layout": receipt.layout, "source": "synth receipt lines"})
    (args.out / "manifest.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    languages = Counter(r["language"] for r in rows)
    print(f"{len(rows)} receipts written to {args.out} (languages: {', '.join(f'{k} {v}' for k, v in sorted(languages.items()))})")
    print(f"score them with: python -m extraction.evaluate {args.out} --ocr-source dataset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
