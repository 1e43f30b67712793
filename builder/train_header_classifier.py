"""Train the header-line classifier (shop name / address / other per header row) and export it to ONNX.

    python builder/train_header_classifier.py ../shared/datasets/sroie-train-ocr ../shared/datasets/sroie-dev \
        --split eval/splits/sroie-by-shop.json --side tune [--swap] \
        [--out extraction/extractors/layout/data/header_classifier.onnx]

Needs the ``train`` extra (``pip install '.[train]'``: LightGBM, onnxmltools). Rows come from the
documents' own OCR boxes (``ocr_boxes``), or through ``--ocr-cache DIR`` from RapidOCR for image
documents without them. Labels come from the ground truth: the run of up to three header rows
whose text best matches the vendor-name label is "vendor", the run of up to seven other rows best
matching the address label is "address" (character similarity of the letters and digits, at least
:data:`MIN_MATCH`); a document whose labels match no run adds its rows as "other" only when both
labels are absent, else it is skipped. Fit on one side of a shop split only (``--split``), so the
other side measures shops the model never saw. Deterministic: fixed seed, one thread. Beside the
model a ``.json`` record says what it was fitted on and its row accuracy on the fitting data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from builder import split_selection  # noqa: E402
from builder.calibrate_rules import document_text  # noqa: E402
from extraction.evaluate.manifest import ManifestError  # noqa: E402
from extraction.evaluate.splits import SplitError  # noqa: E402
from extraction.extractors.layout.header_features import FEATURE_NAMES, header_features, header_rows  # noqa: E402
from extraction.extractors.layout.header_model import CLASSES, MAX_ADDRESS_ROWS, MAX_VENDOR_ROWS, MODEL_PATH  # noqa: E402
from extraction.extractors.layout.rows import build_layout  # noqa: E402

SEED = 1
#: how alike (0-100, letters and digits only) a run of rows and a label must be to label the rows
MIN_MATCH = 80.0

PARAMS = {
    "objective": "multiclass",
    "n_estimators": 80,
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "random_state": SEED,
    "deterministic": True,
    "force_row_wise": True,
    "n_jobs": 1,
    "verbose": -1,
}


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def best_match(texts: list[str], label: str, max_len: int, excluded: set[int]) -> tuple[float, int, int]:
    """(similarity, first, last) of the run of rows whose joined text is most like ``label``."""
    target = _key(label)
    best = (0.0, -1, -1)
    if not target:
        return best
    for start in range(len(texts)):
        joined = ""
        for end in range(start, min(start + max_len, len(texts))):
            if end in excluded:
                break
            joined += _key(texts[end])
            score = fuzz.ratio(joined, target)
            if score > best[0]:
                best = (score, start, end)
    return best


def row_labels(texts: list[str], vendor: str | None, address: str | None) -> list[int] | None:
    """Class index per row (see :data:`CLASSES`), or None when a label cannot be placed."""
    labels = [0] * len(texts)
    taken: set[int] = set()
    for cls, expected, max_rows in ((1, vendor, MAX_VENDOR_ROWS), (2, address, MAX_ADDRESS_ROWS)):
        if not expected:
            continue
        score, first, last = best_match(texts, expected, max_rows, taken)
        if score < MIN_MATCH:
            return None
        for i in range(first, last + 1):
            labels[i] = cls
            taken.add(i)  # the address is placed on rows the name did not take
    return labels


def training_rows(datasets, ocr=None) -> tuple[list[list[float]], list[int], list[str], int]:
    """Features, labels and the document of each row; and how many documents were skipped."""
    features: list[list[float]] = []
    labels: list[int] = []
    owners: list[str] = []
    skipped = 0
    for dataset in datasets:
        for entry in dataset.entries:
            text = document_text(entry, dataset.root.name, None, ocr)
            if text is None:
                skipped += 1
                continue
            layout = build_layout(text)
            rows = header_rows(layout)
            found = row_labels([r.text for r in rows], entry.fields.get("vendor_name"), entry.fields.get("vendor_address"))
            if not rows or found is None:
                skipped += 1
                continue
            features.extend(header_features(layout, rows))
            labels.extend(found)
            owners.extend([f"{dataset.root.name}/{entry.id}"] * len(rows))
    return features, labels, owners, skipped


def train(features: list[list[float]], labels: list[int]):
    import lightgbm as lgb
    import numpy as np

    model = lgb.LGBMClassifier(**PARAMS)
    model.fit(np.asarray(features, dtype=np.float32), np.asarray(labels))
    return model


def export_onnx(model, path: Path) -> None:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    onnx_model = onnxmltools.convert_lightgbm(
        model, initial_types=[("features", FloatTensorType([None, len(FEATURE_NAMES)]))], zipmap=False, target_opset=15
    )
    path.write_bytes(onnx_model.SerializeToString())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--ocr-cache", type=Path, help="read image documents without ocr_boxes with RapidOCR through this cache")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    split_selection.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        datasets = split_selection.selected_datasets([Path(f) for f in args.datasets], args)
    except (ManifestError, SplitError) as exc:
        parser.error(str(exc))
    try:
        import lightgbm  # noqa: F401
        import onnxmltools  # noqa: F401
    except ImportError:
        parser.error("training needs the train extra: pip install '.[train]' (lightgbm, onnxmltools)")
    ocr = None
    if args.ocr_cache is not None:
        from extraction.evaluate.ocrcache import CachedOcr
        from extraction.ocr.rapid import RapidOcrEngine

        ocr = CachedOcr(RapidOcrEngine(), args.ocr_cache)
    features, labels, owners, skipped = training_rows(datasets, ocr)
    if not features:
        parser.error("no document gave labelled rows")
    model = train(features, labels)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export_onnx(model, args.out)
    predicted = model.predict(features)
    record = {
        "about": "Header-line classifier (other / vendor / address per header row), LightGBM exported to ONNX; see builder/train_header_classifier.py.",
        "fitted_on": split_selection.describe(datasets, args),
        "documents": len(set(owners)),
        "skipped_documents": skipped,
        "rows": len(labels),
        "rows_per_class": {name: labels.count(i) for i, name in enumerate(CLASSES)},
        "fit_row_accuracy": round(sum(int(p) == y for p, y in zip(predicted, labels)) / len(labels), 4),
        "params": PARAMS,
        "features": list(FEATURE_NAMES),
    }
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"{record['documents']} documents ({skipped} skipped), {len(labels)} rows -> {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
