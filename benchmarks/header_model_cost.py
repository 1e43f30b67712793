"""What the header-line classifier costs per receipt: ``python benchmarks/header_model_cost.py [--n 120]``.

Prints, over the first N receipts of ``../shared/datasets/sroie-dev`` (their own OCR boxes, so no
OCR runs), the milliseconds per page of the rules extractor without and with the classifier
(``HEADER_MODEL_MODE=anchor``), of the features alone and of the ONNX inference alone, and the
model's load time. Each is the median of three passes, so a busy machine skews it less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extraction.evaluate.manifest import boxes_to_document, load_dataset, read_ocr_boxes  # noqa: E402
from extraction.extractors.base import ExtractionRequest  # noqa: E402
from extraction.extractors.layout.extractor import RulesExtractor  # noqa: E402
from extraction.extractors.layout.header_features import header_features  # noqa: E402
from extraction.extractors.layout.header_model import load_model  # noqa: E402
from extraction.extractors.layout.rows import build_layout  # noqa: E402
from extraction.layout import sort_reading_order  # noqa: E402
from extraction.settings.header_model import HeaderModelSettings  # noqa: E402


def _per_page_ms(fn, items) -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        for item in items:
            fn(item)
        runs.append((time.perf_counter() - started) * 1000 / len(items))
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=120)
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "datasets" / "sroie-dev")
    args = parser.parse_args()
    if not (args.dataset / "manifest.jsonl").is_file():
        print(f"no dataset at {args.dataset}: nothing to measure")
        return 0
    texts = []
    for entry in load_dataset(args.dataset).entries[: args.n]:
        if entry.ocr_boxes is not None:
            text = boxes_to_document(read_ocr_boxes(entry.ocr_boxes))
            text.pages[0].lines = sort_reading_order(text.pages[0].lines)
            texts.append(text)
    started = time.perf_counter()
    model = load_model()
    load_ms = (time.perf_counter() - started) * 1000
    if model is None:
        print("no shipped header model")
        return 0
    fields = frozenset({"vendor_name", "vendor_address", "date", "total"})
    off = RulesExtractor(header_model=HeaderModelSettings(mode="off"))
    on = RulesExtractor(header_model=HeaderModelSettings(mode="anchor"))
    layouts = [build_layout(t) for t in texts]
    features = [header_features(layout) for layout in layouts]
    print(f"{len(texts)} receipts; model load {load_ms:.1f} ms")
    print(f"rules extractor, classifier off : {_per_page_ms(lambda t: off.extract([ExtractionRequest('d', t, fields)]), texts):.2f} ms/page")
    print(f"rules extractor, classifier on  : {_per_page_ms(lambda t: on.extract([ExtractionRequest('d', t, fields)]), texts):.2f} ms/page")
    print(f"features alone                  : {_per_page_ms(header_features, layouts):.2f} ms/page")
    print(f"ONNX inference alone            : {_per_page_ms(model.probabilities, features):.2f} ms/page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
