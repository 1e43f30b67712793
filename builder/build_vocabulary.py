"""Build ``vocabulary.json``: the words printed on receipts, learned from OCR transcripts.

Usage::

    python builder/build_vocabulary.py ../shared/datasets/sroie-train-ocr ../shared/datasets/sroie-dev \
        --split eval/splits/sroie-by-shop.json --side tune

Why: the CPU OCR model misreads a letter here and there ("Jaian", "SETIA ÁLAM") and drops
spaces in large type ("SANYUSTATIONERYSHOP"). Words that many receipts print (street and town
names, company words) are the evidence to correct those slips (see :mod:`extraction.extractors.layout.spelling`). Counts
are document frequencies (in how many documents a word appears), so one long receipt cannot
dominate; words seen in fewer than ``--min-documents`` documents are dropped. The output is
sorted, so the same input always gives the same file. The lexicon's own words are added with
the minimum count, so keywords of every language are known too.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extraction.extractors.layout.lexicon import fold, load_lexicon  # noqa: E402
from extraction.evaluate.manifest import Dataset, ManifestError  # noqa: E402
from extraction.evaluate.splits import SplitError  # noqa: E402
from extraction.extractors.layout.spelling import VOCABULARY_PATH  # noqa: E402
from builder import split_selection  # noqa: E402

_WORD = re.compile(r"[A-Za-z]{2,}")


def transcript_lines(dataset: Dataset) -> Iterator[list[str]]:
    """Per document, the text of its transcript lines (``x1,y1,...,x4,y4,text`` box files)."""
    for entry in dataset.entries:
        path = entry.ocr_boxes
        if path is None or not path.is_file():
            continue
        lines = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split(",", 8)
            if len(parts) == 9:
                lines.append(parts[8])
        yield lines


def count_words(documents: Iterable[list[str]]) -> tuple[Counter, int]:
    """Document frequency of every upper-cased word of two letters or more."""
    counts: Counter = Counter()
    total = 0
    for lines in documents:
        total += 1
        counts.update({word.upper() for line in lines for word in _WORD.findall(line)})
    return counts, total


def lexicon_words() -> set[str]:
    """Words of the keyword lexicon (all languages), ASCII-folded and upper-cased."""
    words: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, str):
            words.update(w.upper() for w in _WORD.findall(fold(node)))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(load_lexicon()["fields"])
    return words


def build(datasets: list[Dataset], min_documents: int, fitted_on: str = "") -> dict:
    counts: Counter = Counter()
    total = 0
    for dataset in datasets:
        found, n = count_words(transcript_lines(dataset))
        counts.update(found)
        total += n
    words = {w: c for w, c in counts.items() if c >= min_documents}
    for word in lexicon_words():
        words.setdefault(word, min_documents)
    return {
        "_about": "Document frequency of words printed on receipts (built by builder/build_vocabulary.py).",
        "fitted_on": fitted_on,
        "documents": total,
        "min_documents": min_documents,
        "words": dict(sorted(words.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path, help="folders with manifest.jsonl and ocr_boxes transcripts")
    parser.add_argument("--min-documents", type=int, default=2, help="keep words seen in at least this many documents")
    parser.add_argument("--out", type=Path, default=VOCABULARY_PATH)
    split_selection.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        datasets = split_selection.selected_datasets(args.datasets, args)
    except (ManifestError, SplitError) as exc:
        parser.error(str(exc))
    vocabulary = build(datasets, args.min_documents, fitted_on=split_selection.describe(datasets, args))
    if vocabulary["documents"] == 0:
        parser.error("no transcripts found (each manifest line needs an ocr_boxes file)")
    args.out.write_text(json.dumps(vocabulary, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(vocabulary['words'])} words from {vocabulary['documents']} documents -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
