"""GPU smoke test of the TILT extractor: ``python benchmarks/tilt_gpu_smoke.py [--sroie N] [--long-tokens T]``.

Run on a GPU image with the Arctic-TILT fork of vLLM and the weights. It prints one JSON
report with:
- the engine load time and the engine settings;
- ``long_document``: one document of about T tokens (default 6000) sent alone with one
  question. With the fork as pinned this needs an encoder-only step, where the model runner
  builds ``SamplerOutput()`` without its required ``outputs`` (a TypeError; our wheel build
  patches it, and an unpatched wheel caps documents to one step instead). The result is
  "ok" or the error, with the warnings (a cap shows there);
- ``long_with_short_batch``: the same document in one batch with 8 receipts (long requests
  still encoding beside decoding ones);
- ``sroie``: for the first N receipts of ``../shared/datasets/sroie-dev`` (read with the
  dataset's own OCR boxes and images), exact-match accuracy of vendor_name, date and total
  after normalisation, plus seconds per document and per question, with all documents sent
  as one batch.

``--fake`` runs the same code against the test fakes (``tests/support/fakes``) on a CPU machine, to
check the script itself. The answers are then empty and the accuracy is meaningless.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from extraction.extractors.base import ExtractionRequest  # noqa: E402
from extraction.layout import DocumentText, Line, PageText, polygon_to_bbox  # noqa: E402

SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))


def _fake_setup() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "support" / "fakes"))
    weights = Path(tempfile.mkdtemp()) / "tilt"
    weights.mkdir()
    (weights / "config.json").write_text("{}")
    (weights / "model.safetensors").write_bytes(b"\0")
    os.environ["TILT_MODEL_PATH"] = str(weights)


def _sroie(limit: int) -> list[tuple[dict, DocumentText]]:
    root = SHARED / "datasets" / "sroie-dev"
    if not (root / "manifest.jsonl").exists():
        return []
    docs = []
    for raw in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines()[:limit]:
        entry = json.loads(raw)
        image = Image.open(root / entry["file"])
        image.load()
        lines = []
        for row in (root / entry["ocr_boxes"]).read_text(encoding="utf-8", errors="replace").splitlines():
            parts = row.split(",", 8)
            if len(parts) == 9:
                points = [(float(parts[i]), float(parts[i + 1])) for i in range(0, 8, 2)]
                lines.append(Line.from_text(parts[8], polygon_to_bbox(points)))
        docs.append((entry, DocumentText([PageText(1, image.width, image.height, lines, "dataset", image)])))
    return docs


def _long_document(tokens: int) -> DocumentText:
    """Invoice-like filler text over several pages, roughly ``tokens`` tokens long."""
    words_per_line, lines_per_page = 12, 60
    pages, n, number = [], 0, 1
    while n < tokens:
        lines = []
        for row in range(lines_per_page):
            text = " ".join(f"item{number}-{row}-{k} 12.{k:02d}" for k in range(words_per_line // 2))
            lines.append(Line.from_text(text, (40, 40 + row * 18, 1200, 54 + row * 18)))
            n += words_per_line * 3
        lines.append(Line.from_text("TOTAL DUE 4711.00", (40, 1160, 600, 1176)))
        pages.append(PageText(number, 1240, 1754, lines, "ocr", None))
        number += 1
    return DocumentText(pages)


def _norm_text(value: object) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip(" .,:;").upper()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sroie", type=int, default=50, help="SROIE receipts to run (0: none)")
    parser.add_argument("--long-tokens", type=int, default=6000, help="size of the long single document (0: skip)")
    parser.add_argument("--fake", action="store_true", help="use tests/support/fakes instead of the real vllm (CPU check)")
    args = parser.parse_args(argv)
    if args.fake:
        _fake_setup()

    from extraction.extractors.tilt import TiltExtractor  # noqa: PLC0415
    from extraction.normalize.fields import normalize_field  # noqa: PLC0415

    report: dict = {}
    started = time.perf_counter()
    extractor = TiltExtractor()
    report["load_s"] = round(time.perf_counter() - started, 2)
    report["engine"] = extractor.describe()

    if args.long_tokens:
        doc = _long_document(args.long_tokens)
        t0 = time.perf_counter()
        out = extractor.extract([ExtractionRequest("long", doc, frozenset({"total"}))])[0]
        report["long_document"] = {
            "words": doc.word_count,
            "seconds": round(time.perf_counter() - t0, 2),
            "result": "ok" if not hasattr(out, "code") else f"error: {out.code.value}: {out.message}",
            "total": getattr(out, "fields", {}).get("total").value if getattr(out, "fields", {}).get("total") else None,
            "warnings": getattr(out, "warnings", []),  # says where the document cap cut it, if it did
        }
        # the same long document in one batch with short receipts: long requests mid-encoding beside
        # decoding ones (the scheduler path builder/tilt-patches/0003 fixes)
        shorts = [(e, t) for e, t in _sroie(8)]
        if shorts:
            batch = [ExtractionRequest("long", doc, frozenset({"total", "date", "vendor_name"}))]
            batch += [ExtractionRequest(e["id"], t, frozenset({"total", "date"}), date_order="DMY") for e, t in shorts]
            t0 = time.perf_counter()
            outs = extractor.extract(batch)
            report["long_with_short_batch"] = {
                "documents": len(batch),
                "seconds": round(time.perf_counter() - t0, 2),
                "errors": [f"{r.code.value}: {r.message}" for r in outs if hasattr(r, "code")],
            }

    docs = _sroie(args.sroie)
    if docs:
        fields = ("vendor_name", "date", "total")
        requests = [ExtractionRequest(e["id"], text, frozenset(fields), date_order="DMY") for e, text in docs]
        t0 = time.perf_counter()
        results = extractor.extract(requests)
        seconds = time.perf_counter() - t0
        hits = {f: 0 for f in fields}
        labelled = {f: 0 for f in fields}
        errors = 0
        for (entry, _), res in zip(docs, results):
            if hasattr(res, "code"):
                errors += 1
                continue
            for f in fields:
                label = entry["fields"].get(f)
                if label is None:
                    continue
                labelled[f] += 1
                got = res.fields.get(f)
                if got is None:
                    continue
                if f == "vendor_name":
                    hits[f] += _norm_text(got.value) == _norm_text(label)
                else:
                    norm = normalize_field(f, str(label), date_order="DMY")
                    hits[f] += norm is not None and norm.value == got.value
        report["sroie"] = {
            "documents": len(docs),
            "errors": errors,
            "accuracy": {f: round(hits[f] / labelled[f], 3) if labelled[f] else None for f in fields},
            "seconds_total": round(seconds, 2),
            "seconds_per_document": round(seconds / len(docs), 3),
            "seconds_per_question": round(seconds / (len(docs) * len(fields)), 4),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
