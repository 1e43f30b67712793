"""How many text labels a reader could give at all from a set's own OCR lines.

    python benchmarks/label_reachability.py ../shared/datasets/sroie-train-ocr ../shared/datasets/sroie-dev --split eval/splits/sroie-by-shop.json

The harness scores a text field (vendor name, address) by normalised exact match: upper case,
whitespace collapsed, punctuation stripped at the ends, but every space and mark inside kept.
When the labels were typed apart from the OCR transcripts, a label can differ from every
reading of the printed lines in a space or a comma, and no extractor that returns what is
printed can match it. This script measures that ceiling per side of a split, for datasets whose
manifest carries OCR boxes, three ways:

- ``lines joined``: the label equals some run of up to ``--max-lines`` consecutive OCR lines
  joined by one space (what an extractor returns when it keeps the printed text);
- ``any separator``: joined by a space, ", " or nothing at each line break (the most generous
  reading of how annotators join lines);
- ``letters and digits``: equal once every space and mark is dropped (the label's words are on
  the page; only spacing or punctuation differs).

The gap between the last two is what the labels' spacing and punctuation cost; no rule can
recover it without knowing each annotator's habit, which differs from receipt to receipt.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extraction.evaluate.manifest import load_dataset, read_ocr_boxes  # noqa: E402
from extraction.evaluate.scoring import normalize_text  # noqa: E402
from extraction.evaluate.splits import load_split  # noqa: E402

TEXT_FIELDS = ("vendor_name", "vendor_address")
SEPARATORS = (" ", ", ", "")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
#: separators are enumerated only for runs up to this many lines (3^(n-1) joins)
MAX_ENUMERATED = 8


def letters_and_digits(text: str) -> str:
    return _NOT_ALNUM.sub("", text)


def reachability(label: str, lines: list[str], max_lines: int) -> tuple[bool, bool, bool]:
    """(lines joined, any separator, letters and digits) for one label against a page's lines."""
    target = normalize_text(label)
    bare = letters_and_digits(target)
    generous = alnum = False
    for start in range(len(lines)):
        for stop in range(start + 1, min(len(lines), start + max_lines) + 1):
            run = lines[start:stop]
            if letters_and_digits("".join(run)) != bare:  # cheap test first
                continue
            alnum = True
            if normalize_text(" ".join(run)) == target:
                return True, True, True
            if not generous and len(run) <= MAX_ENUMERATED:
                for seps in itertools.product(SEPARATORS, repeat=len(run) - 1):
                    text = run[0] + "".join(sep + line for sep, line in zip(seps, run[1:]))
                    if normalize_text(text) == target:
                        generous = True
                        break
    return False, generous, alnum  # a run joined by spaces returned above


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--split", type=Path, help="report each side of this split file (else the whole set)")
    parser.add_argument("--fields", default=",".join(TEXT_FIELDS))
    parser.add_argument("--max-lines", type=int, default=12)
    args = parser.parse_args(argv)
    split = load_split(args.split) if args.split else None
    fields = [f for f in args.fields.split(",") if f]
    counts: Counter[tuple[str, str, str]] = Counter()
    for path in args.datasets:
        dataset = load_dataset(path)
        if not dataset.has_ocr_boxes:
            print(f"{dataset.name}: no OCR boxes in its manifest, skipped", file=sys.stderr)
            continue
        for entry in dataset.entries:
            side = (split.side_of(dataset.name, entry.id) if split else None) or "all"
            lines = [box.text.strip().upper() for box in read_ocr_boxes(entry.ocr_boxes)]  # marks at line ends kept
            for name in fields:
                label = entry.fields.get(name)
                if not label:
                    continue
                reached = reachability(str(label), lines, args.max_lines)
                counts[(side, name, "labels")] += 1
                for kind, hit in zip(("joined", "generous", "alnum"), reached):
                    counts[(side, name, kind)] += int(hit)
    sides = sorted({side for side, _, _ in counts})
    print("| side | field | labels | lines joined | any separator | letters and digits |")
    print("|---|---|---:|---:|---:|---:|")
    for side in sides:
        for name in fields:
            total = counts[(side, name, "labels")]
            if not total:
                continue
            shares = [counts[(side, name, kind)] / total for kind in ("joined", "generous", "alnum")]
            label = {"A": "A (tune)", "B": "B (held-out)"}.get(side, side) if split else side
            print(f"| {label} | {name} | {total} | " + " | ".join(f"{s:.3f}" for s in shares) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
