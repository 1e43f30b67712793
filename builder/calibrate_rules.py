"""Fit the rule extractor's per-field confidence curves on labelled datasets.

    python builder/calibrate_rules.py ../shared/datasets/sroie-train-ocr ../shared/datasets/invoice2data \
        [--text-cache DIR] [--out extraction/extractors/layout/data/calibration.json] \
        [--split eval/splits/sroie-by-shop.json --side tune [--swap]]

Documents with dataset OCR boxes use them; PDFs use their text layer; images use
``--text-cache DIR/<dataset>/<id>.json`` (DocumentText JSON written by an OCR run) when given,
or RapidOCR through ``--ocr-cache DIR`` (the evaluation's OCR cache, so a fit after an
evaluation run reads no image twice); otherwise they are skipped. Deterministic: no sampling.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extraction.settings.limits import Limits  # noqa: E402
from extraction.documents import load_document  # noqa: E402
from extraction.evaluate.manifest import boxes_to_document, load_dataset, read_ocr_boxes  # noqa: E402
from extraction.evaluate.scoring import values_match  # noqa: E402
from extraction.extractors.base import ExtractionRequest  # noqa: E402
from extraction.extractors.layout.extractor import RulesExtractor  # noqa: E402
from extraction.fields import FIELD_KINDS  # noqa: E402
from extraction.layout import DocumentText, Line, PageText, Word, sort_reading_order  # noqa: E402
from extraction.extractors.layout.calibration import CALIBRATION_PATH, fit_curve  # noqa: E402
from extraction.evaluate.manifest import ManifestError  # noqa: E402
from extraction.evaluate.splits import SplitError  # noqa: E402
from builder import split_selection  # noqa: E402

MIN_SAMPLES = 40
TEXT_CAP = 0.9


def text_from_cache(path: Path) -> DocumentText:
    data = json.loads(path.read_text(encoding="utf-8"))
    pages = []
    for p in data["pages"]:
        lines = [
            Line(l["text"], tuple(l["bbox"]), l["confidence"], [Word(w["text"], tuple(w["bbox"]), w["confidence"]) for w in l["words"]])
            for l in p["lines"]
        ]
        pages.append(PageText(p["number"], p["width"], p["height"], lines, p.get("source", "ocr")))
    return DocumentText(pages)


def ocr_text(entry, ocr) -> DocumentText:
    """An image document read by the OCR engine (through the evaluation's OCR cache)."""
    loaded = load_document(entry.file.read_bytes(), limits=Limits())
    pages = []
    for page in loaded.pages:
        if isinstance(page, PageText):
            pages.append(page)
        else:
            width, height = page.image.size
            pages.append(PageText(page.number, width, height, ocr.recognize(page.image), "ocr"))
    return DocumentText(pages)


def document_text(entry, dataset_name: str, text_cache: Path | None, ocr=None) -> DocumentText | None:
    if entry.ocr_boxes is not None:
        text = boxes_to_document(read_ocr_boxes(entry.ocr_boxes))
        text.pages[0].lines = sort_reading_order(text.pages[0].lines)
        return text
    if entry.file is not None and entry.file.suffix.lower() == ".pdf":
        loaded = load_document(entry.file.read_bytes(), limits=Limits())
        pages = [p for p in loaded.pages if isinstance(p, PageText)]
        return DocumentText(pages) if pages else None
    if text_cache is not None:
        cached = text_cache / dataset_name / f"{entry.id}.json"
        if cached.is_file():
            return text_from_cache(cached)
    if ocr is not None and entry.file is not None:
        return ocr_text(entry, ocr)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--text-cache", type=Path, help="DIR/<dataset>/<id>.json DocumentText files")
    parser.add_argument(
        "--ocr-cache", type=Path,
        help="read image documents with RapidOCR through this cache (the one python -m extraction.evaluate --ocr-cache fills)",
    )
    parser.add_argument("--out", type=Path, default=CALIBRATION_PATH)
    split_selection.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        datasets = split_selection.selected_datasets([Path(f) for f in args.datasets], args)
    except (ManifestError, SplitError) as exc:
        parser.error(str(exc))
    ocr = None
    if args.ocr_cache is not None:
        from extraction.evaluate.ocrcache import CachedOcr
        from extraction.ocr.rapid import RapidOcrEngine

        ocr = CachedOcr(RapidOcrEngine(), args.ocr_cache)

    extractor = RulesExtractor(calibration=False)
    pairs: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    documents = 0
    for dataset in datasets:
        name = dataset.root.name
        for entry in dataset.entries:
            text = document_text(entry, name, args.text_cache, ocr)
            if text is None:
                continue
            documents += 1
            wanted = frozenset(f for f in entry.fields if f in FIELD_KINDS)
            result = extractor.extract([ExtractionRequest(entry.id, text, wanted)])[0]
            for field, expected in entry.fields.items():
                if field not in FIELD_KINDS or expected is None:
                    continue
                got = getattr(result, "fields", {}).get(field)
                if got is not None:
                    pairs[field].append((got.confidence, values_match(FIELD_KINDS[field], expected, got.value)))
    curves = {field: fit_curve(values) for field, values in sorted(pairs.items()) if len(values) >= MIN_SAMPLES}
    for field, curve in curves.items():
        if FIELD_KINDS[field] == "text":
            # exact text depends on OCR spelling and spacing, which vary more across scanners than
            # across these sets: do not promise more than 90 %
            curves[field] = [(x, min(y, TEXT_CAP)) for x, y in curve]
    payload = {
        "about": "Per-field confidence curves for the rules extractor: [raw, calibrated] knots (see builder/calibrate_rules.py).",
        "fitted_on": split_selection.describe(datasets, args),
        "documents": documents,
        "samples": {field: len(values) for field, values in sorted(pairs.items())},
        "fields": curves,
    }
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"{documents} documents; curves for {', '.join(curves) or 'no field'} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
