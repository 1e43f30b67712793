"""Cost of the candidate ranker: ``python benchmarks/ranker_cost.py [DATASET_DIR] [--limit N]``.

Prints the time to load the shipped model (onnxruntime already imported, as in a worker whose
OCR engine uses it, and cold, with the import), and per document the rules extractor's time
without and with the ranker, on the shipped samples' text layers or the PDFs of a dataset
folder (``../shared/datasets/vrdu-adbuy-dev``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _texts(folder: Path, limit: int) -> list:
    from extraction.documents import load_document
    from extraction.layout import DocumentText, PageText
    from extraction.settings.limits import Limits

    texts = []
    limits = Limits.from_env()
    for path in sorted(folder.rglob("*.pdf"))[:limit]:
        loaded = load_document(path.read_bytes(), limits=limits)
        pages = [p for p in loaded.pages if isinstance(p, PageText)]
        if pages:
            texts.append(DocumentText(pages=pages))
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "samples")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()

    started = time.perf_counter()
    import onnxruntime  # noqa: F401  (the OCR engine imports it anyway)

    import_ms = (time.perf_counter() - started) * 1000
    from extraction.extractors.layout.ranker import load_ranker

    started = time.perf_counter()
    ranker = load_ranker()
    load_ms = (time.perf_counter() - started) * 1000
    if ranker is None:
        print("no ranker model found (or RANKER_ENABLED=false)")
        return 1
    print(f"ranker load: {load_ms:.0f} ms ({len(ranker.sessions)} models; onnxruntime import {import_ms:.0f} ms before it)")

    from extraction.extractors.base import ExtractionRequest
    from extraction.extractors.layout.extractor import extract_document
    from extraction.fields import STANDARD_FIELDS

    texts = _texts(args.folder, args.limit)
    if not texts:
        print(f"no PDF with a text layer under {args.folder}")
        return 1
    rows = {"rules only": [], "rules + ranker": []}
    for text in texts:
        request = ExtractionRequest(document_id="d", text=text, fields=frozenset(STANDARD_FIELDS))
        for name, model in (("rules only", None), ("rules + ranker", ranker)):
            started = time.perf_counter()
            extract_document(request, model)
            rows[name].append((time.perf_counter() - started) * 1000)
    print(f"{len(texts)} documents from {args.folder}")
    print("| extractor | p50 ms | mean ms |\n|---|---:|---:|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.fmean(values):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
