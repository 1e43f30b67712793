"""Train the rules extractor's candidate ranker (LightGBM, exported to ONNX).

    python -m builder.train_ranker --out extraction/extractors/layout/data/ranker \\
        --vrdu-side A --odoo-side A --synth /tmp/synth-invoices [--cache /tmp/ranker-docs.pkl]
    python -m builder.train_ranker --out /tmp/ranker-fold1 --vrdu-split eval/splits/vrdu-adbuy-dev-by-source-fold1.json ...

Training documents: the TUNE sides of the split datasets (vrdu-adbuy-dev by source, invoices-odoo
by layout; ``--vrdu-side B`` trains on the other side for the swapped check), invoice2data, and
synthetic invoices from ``python -m builder.synth invoices`` (``--synth DIR``, made there with
``--synth-n`` documents when the folder is missing). Each document runs through the service's own
pipeline (text layer, or OCR replayed from ``--ocr-cache``) and the rules, then
:func:`extraction.extractors.layout.candidates.candidates_for` describes every candidate, so the
features are those the extractor computes at run time. A candidate is positive when it equals the
labelled value. One binary model per field; fixed seed; the acceptance threshold per field is
the one that maximises grouped cross-validated accuracy of "model if confident, else rules" on the
training documents. ``ranker.json`` records the features, thresholds and what it was fitted on.

Needs the ``train`` extra (lightgbm, onnxmltools).
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Optional, Sequence

SEED = 7
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
SPLITS = Path(__file__).resolve().parents[1] / "eval" / "splits"
PARAMS = dict(n_estimators=300, learning_rate=0.05, num_leaves=15, min_child_samples=10, subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0)


# ---------------------------------------------------------------------- documents


class _Recorder:
    """Stands in for the extractor inside the pipeline: keeps the document text it is given."""

    name = "recorder"

    def __init__(self) -> None:
        self.texts: list[Any] = []

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def extract(self, requests: Sequence[Any]) -> list[Any]:
        from extraction.extractors.base import Extraction

        self.texts.extend(r.text for r in requests)
        return [Extraction() for _ in requests]


_PIPELINE: Any = None


def _read_one(job: tuple[str, str, Optional[str]]) -> Any:
    """(document id, file, OCR cache) -> DocumentText, in a worker process."""
    global _PIPELINE
    doc_id, file, ocr_cache = job
    if _PIPELINE is None:
        from extraction.pipeline import Pipeline

        _PIPELINE = Pipeline.from_env(extractor="rules")
        _PIPELINE.extractor = _Recorder()
        if ocr_cache:
            from extraction.evaluate.ocrcache import CachedOcr

            _PIPELINE.ocr = CachedOcr(_PIPELINE.ocr, Path(ocr_cache))
    recorder = _PIPELINE.extractor
    recorder.texts.clear()
    try:
        _PIPELINE.extract_bytes(Path(file).read_bytes(), doc_id, fields=None)
    except Exception as exc:
        print(f"  skipped {doc_id}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    return recorder.texts[0] if recorder.texts else None


def read_dataset(folder: Path, ocr_cache: Optional[str], workers: int) -> list[dict[str, Any]]:
    """Every document of a dataset folder with its text and labels (read once, split later)."""
    from multiprocessing import Pool

    from extraction.evaluate.manifest import load_dataset

    dataset = load_dataset(folder)
    entries = [e for e in dataset.entries if e.file is not None]
    print(f"{dataset.name}: reading {len(entries)} documents", file=sys.stderr)
    jobs = [(e.id, str(e.file), ocr_cache) for e in entries]
    with Pool(workers) as pool:
        texts = pool.map(_read_one, jobs, chunksize=4)
    return [{"id": e.id, "text": t, "fields": dict(e.fields)} for e, t in zip(entries, texts) if t is not None]


def select(name: str, folder: Path, read: list[dict[str, Any]], split_file: Optional[str], side: Optional[str]) -> list[dict[str, Any]]:
    """The documents of one training source: a split's side, or the whole dataset. Each keeps its
    split group (the unit of the cross-validation that sets the thresholds)."""
    from extraction.evaluate.splits import load_split

    split = load_split(Path(split_file)) if split_file else None
    out = []
    for doc in read:
        if split is not None and split.side_of(folder.name, doc["id"]) != side:
            continue
        group = split.group_of(folder.name, doc["id"]) if split is not None else None
        out.append({**doc, "source": name, "group": f"{name}: {group}" if group else name})
    print(f"{name}: {len(out)} documents", file=sys.stderr)
    return out


# ---------------------------------------------------------------------- examples


def _norm_text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().upper().strip(".,;:#-/ ")


def _equal(field: str, cand_value: Any, truth: Any) -> bool:
    from extraction.extractors.layout.candidates import AMOUNT_FIELDS

    if field in AMOUNT_FIELDS:
        try:
            return Decimal(str(cand_value)) == Decimal(str(truth))
        except InvalidOperation:
            return False
    return _norm_text(cand_value) == _norm_text(truth)


def examples(docs: list[dict[str, Any]]) -> dict[str, dict[str, list]]:
    """Per field: feature rows, labels, document numbers, and the rules' correctness per document."""
    from extraction.extractors.base import ExtractionRequest
    from extraction.extractors.layout.candidates import RANKED_FIELDS, LabelIndex, candidates_for
    from extraction.extractors.layout.extractor import extract_document
    from extraction.extractors.layout.ranker import rule_values
    from extraction.extractors.layout.rows import build_layout
    from extraction.fields import STANDARD_FIELDS

    out: dict[str, dict[str, list]] = {f: {"X": [], "y": [], "doc": [], "group": [], "rules_right": {}} for f in RANKED_FIELDS}
    units = sorted({doc.get("group", doc["source"]) for doc in docs})
    for number, doc in enumerate(docs):
        request = ExtractionRequest(document_id=doc["id"], text=doc["text"], fields=frozenset(STANDARD_FIELDS))
        found = extract_document(request, None).fields
        layout = build_layout(doc["text"])
        if not layout.segs:
            continue
        index = LabelIndex(layout)
        rules = rule_values(found)
        for field in RANKED_FIELDS:
            truth = doc["fields"].get(field)
            if truth is None:
                continue
            cands, rows = candidates_for(layout, index, field, rules)
            table = out[field]
            # +1 right, -1 wrong, 0 nothing: a wrong value costs precision, a missing one does not
            table["rules_right"][number] = 0 if field not in found else (1 if _equal(field, found[field].value, truth) else -1)
            for cand, row in zip(cands, rows):
                table["X"].append(row)
                table["y"].append(int(_equal(field, cand.value, truth)))
                table["doc"].append(number)
                table["group"].append(units.index(doc.get("group", doc["source"])))
    return out


# ---------------------------------------------------------------------- fitting


def _picks(probs: Sequence[float], docs: Sequence[int], y: Sequence[int]) -> dict[int, tuple[float, int]]:
    """Per document: the best candidate's probability and whether it is right."""
    best: dict[int, tuple[float, int]] = {}
    for p, d, label in zip(probs, docs, y):
        if d not in best or p > best[d][0]:
            best[d] = (p, label)
    return best


def choose_threshold(probs: Sequence[float], table: dict[str, list]) -> tuple[float, dict[str, float]]:
    """The threshold maximising the utility of "model when at least this sure, else the rules":
    +1 per right value, -1 per wrong one, 0 when nothing is given (so abstaining beats guessing)."""
    picks = _picks(probs, table["doc"], table["y"])
    rules_right = table["rules_right"]
    docs = sorted(rules_right)

    def utility(t: float) -> int:
        return sum((1 if picks[d][1] else -1) if d in picks and picks[d][0] >= t else rules_right[d] for d in docs)

    best = (0.5, -len(docs) - 1)
    # probabilities on a source the model has not seen are often near 0 or 1 while its ranking is
    # still right, so the grid starts at "always the model"
    for t in [0.0, 0.01, 0.02, 0.05] + [i / 10 for i in range(1, 10)] + [0.95]:
        value = utility(t)
        if value > best[1]:
            best = (t, value)
    n = max(len(docs), 1)
    return best[0], {
        "documents": len(docs),
        "rules_accuracy": round(sum(r == 1 for r in rules_right.values()) / n, 3),
        "model_accuracy_cv": round(sum(picks[d][1] for d in docs if d in picks) / n, 3),
        "combined_accuracy_cv": round(sum((picks[d][1] if d in picks and picks[d][0] >= best[0] else rules_right[d] == 1) for d in docs) / n, 3),
    }


def cv_folds(groups: Sequence[int], docs: Sequence[int], folds: int) -> list[int]:
    """Fold per row: whole groups (a split group such as one ordering system, or a source
    without a split) placed largest first on the emptiest fold, so that no group is on both
    sides of a fold; rows of a single group fall back to folds by document."""
    sizes: dict[int, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    if len(sizes) < 2:
        return [d % folds for d in docs]
    filled = [0] * min(folds, len(sizes))
    where: dict[int, int] = {}
    for g in sorted(sizes, key=lambda g: (-sizes[g], g)):
        k = filled.index(min(filled))
        where[g] = k
        filled[k] += sizes[g]
    return [where[g] for g in groups]


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` overrides of :data:`PARAMS`, each value typed like the default it replaces."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in PARAMS:
            raise SystemExit(f"--param {pair!r}: expected NAME=VALUE with NAME one of {', '.join(PARAMS)}")
        overrides[name] = type(PARAMS[name])(value)
    return overrides


def fit(table: dict[str, list], folds: int = 4) -> tuple[Any, float, dict[str, float]]:
    """The model on all rows, and its threshold from out-of-fold predictions where each fold
    holds whole groups (ordering systems, layouts, sources): the threshold must hold on layouts
    the model has not seen, which folds mixing one group's documents would overstate."""
    import lightgbm as lgb
    import numpy as np

    X = np.asarray(table["X"], dtype=np.float32)
    y = np.asarray(table["y"])
    docs = np.asarray(table["doc"])
    oof = np.zeros(len(y))
    fold_of = np.asarray(cv_folds(table["group"], table["doc"], folds))
    for k in sorted(set(fold_of.tolist())):
        train, test = fold_of != k, fold_of == k
        if y[train].sum() == 0 or test.sum() == 0:
            continue
        model = lgb.LGBMClassifier(random_state=SEED, deterministic=True, n_jobs=1, verbose=-1, **PARAMS)
        model.fit(X[train], y[train])
        oof[test] = model.predict_proba(X[test])[:, 1]
    threshold, report = choose_threshold(oof.tolist(), table)
    model = lgb.LGBMClassifier(random_state=SEED, deterministic=True, n_jobs=1, verbose=-1, **PARAMS)
    model.fit(X, y)
    return model, threshold, report


def export(model: Any, n_features: int, path: Path) -> None:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    onnx_model = onnxmltools.convert_lightgbm(model, initial_types=[("input", FloatTensorType([None, n_features]))], zipmap=False, target_opset=12)
    path.write_bytes(onnx_model.SerializeToString())


# ---------------------------------------------------------------------- command line


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder.train_ranker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for ranker.json and <field>.onnx")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--vrdu-side", default="A", choices=("A", "B", "none"))
    parser.add_argument("--vrdu-split", type=Path, default=SPLITS / "vrdu-adbuy-dev-by-source.json", help="the vrdu split file whose --vrdu-side is trained on (a fold file for cross-fitting)")
    parser.add_argument("--odoo-side", default="A", choices=("A", "B", "none"))
    parser.add_argument("--all", dest="whole", action="store_true", help="train on every document of vrdu-adbuy-dev and invoices-odoo (the shipped model, once held-out folds showed the gain)")
    parser.add_argument("--no-invoice2data", action="store_true")
    parser.add_argument("--synth", type=Path, help="synthetic invoices folder (made there when missing)")
    parser.add_argument("--synth-n", type=int, default=200)
    parser.add_argument("--ocr-cache", help="replay OCR of image documents from this cache (the one python -m extraction.evaluate --ocr-cache fills)")
    parser.add_argument("--cache", type=Path, help="pickle of the read documents (reused when present)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="override a LightGBM parameter of PARAMS (e.g. num_leaves=7), to compare fits on held-out folds")
    args = parser.parse_args(argv)
    PARAMS.update(parse_params(args.param))

    sources: list[tuple[str, Path, Optional[str], Optional[str]]] = []
    if args.whole:
        sources.append(("vrdu-adbuy-dev", args.datasets / "vrdu-adbuy-dev", None, None))
        sources.append(("invoices-odoo", args.datasets / "invoices-odoo", None, None))
    else:
        if args.vrdu_side != "none":
            sources.append((f"vrdu-adbuy-dev {args.vrdu_split.stem} side {args.vrdu_side}", args.datasets / "vrdu-adbuy-dev", str(args.vrdu_split), args.vrdu_side))
        if args.odoo_side != "none":
            sources.append((f"invoices-odoo side {args.odoo_side}", args.datasets / "invoices-odoo", str(SPLITS / "invoices-odoo-by-layout.json"), args.odoo_side))
    if not args.no_invoice2data:
        sources.append(("invoice2data", args.datasets / "invoice2data", None, None))
    if args.synth is not None:
        if not (args.synth / "manifest.jsonl").is_file():
            from builder.synth.dataset import KINDS, Options, write_dataset

            write_dataset(Options(kind=KINDS["invoices"], count=args.synth_n, out=args.synth, seed=SEED, locales=None, scan_share=0.0, dpi=0.0))
        sources.append((f"synthetic invoices ({args.synth.name})", args.synth, None, None))

    started = time.perf_counter()
    cached: dict[str, list[dict[str, Any]]] = {}  # dataset folder -> every document read
    if args.cache is not None and args.cache.is_file():
        cached = pickle.loads(args.cache.read_bytes())
    docs: list[dict[str, Any]] = []
    dirty = False
    for name, folder, split_file, side in sources:
        key = str(folder)
        if key not in cached:
            cached[key] = read_dataset(folder, args.ocr_cache, args.workers)
            dirty = True
        docs.extend(select(name, folder, cached[key], split_file, side))
    if args.cache is not None and dirty:
        args.cache.write_bytes(pickle.dumps(cached))
    print(f"{len(docs)} documents read in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    from extraction.extractors.layout.candidates import feature_names

    tables = examples(docs)
    names = feature_names()
    args.out.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "features": names,
        "seed": SEED,
        "params": PARAMS,
        "fitted_on": {source[0]: sum(1 for d in docs if d["source"] == source[0]) for source in sources},
        "command": "python -m builder.train_ranker " + " ".join(argv if argv is not None else sys.argv[1:]),
        "synthetic": f"python -m builder.synth invoices --n {args.synth_n} --seed {SEED} --scan-share 0 (made by this script when --synth names a missing folder)" if args.synth else None,
        "fields": {},
    }
    for field, table in tables.items():
        positives = sum(table["y"])
        if positives < 20:
            print(f"{field}: only {positives} positive candidates; not trained", file=sys.stderr)
            continue
        model, threshold, report = fit(table)
        export(model, len(names), args.out / f"{field}.onnx")
        record["fields"][field] = {"threshold": threshold, "candidates": len(table["y"]), "positives": positives, **report}
        print(f"{field}: {json.dumps(record['fields'][field])}", file=sys.stderr)
    (args.out / "ranker.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
