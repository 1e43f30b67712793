"""Speed and memory of the pipeline: ``python benchmarks/bench_pipeline.py [--sroie N]``.

Prints, for the shipped samples and (when present) the first N SROIE receipts of
``../shared/datasets/sroie-dev``: worker ready time (imports and settings; the CPU engines load
in the background as in the handler, ``--foreground`` to build them first) and when the engines
were loaded, per-stage
latency (p50/p95), seconds per document end to end and the CPU time per page (on a loaded
machine wall time grows with the load; CPU time is what the page needed), the OCR engine alone on the same
images (to show the pipeline's own overhead), and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _documents(args: argparse.Namespace) -> list[tuple[str, str, Path]]:
    docs = []
    for row in (ROOT / "samples" / "manifest.jsonl").read_text().splitlines():
        item = json.loads(row)
        docs.append(("samples", item["id"], ROOT / "samples" / item["file"]))
    shared = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")) / "datasets"
    sroie = shared / "sroie-dev" / "manifest.jsonl"
    if sroie.exists() and args.sroie > 0:
        for row in sroie.read_text().splitlines()[: args.sroie]:
            item = json.loads(row)
            docs.append(("sroie-dev", item["id"], sroie.parent / item["file"]))
    pdfs = shared / "invoice2data" / "manifest.jsonl"
    if pdfs.exists():
        for row in pdfs.read_text().splitlines():
            item = json.loads(row)
            docs.append(("invoice2data", item["id"], pdfs.parent / item["file"]))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sroie", type=int, default=20, help="SROIE receipts to time (0 to skip)")
    parser.add_argument("--ocr", default=os.environ.get("OCR_ENGINE", "rapidocr"))
    parser.add_argument("--extractor", default=os.environ.get("EXTRACTOR", "rules"))
    parser.add_argument("--foreground", action="store_true", help="build the engines before returning (the harness's way)")
    args = parser.parse_args()

    started = time.perf_counter()
    cpu_started = time.process_time()  # what the start costs on a core of its own; wall time also counts waiting for one
    from extraction.pipeline import Pipeline  # noqa: E402  (import time is part of readiness)

    pipeline = Pipeline.from_env(ocr=args.ocr, extractor=args.extractor, background=not args.foreground)
    ready_s = time.perf_counter() - started
    ready_cpu_s = time.process_time() - cpu_started
    from extraction.loading import engine_of

    engine_of(pipeline.ocr), engine_of(pipeline.extractor)
    loaded_s = time.perf_counter() - started
    how = "engines loading in the background, as the handler builds them" if not args.foreground else "engines built before"
    print(f"worker ready: {ready_s:.2f} s, {ready_cpu_s:.2f} s of CPU (imports + settings checked; {how})")
    print(f"engines loaded: {loaded_s:.2f} s after start (a job arriving earlier waits for them; build times {pipeline.startup_ms})")
    print(f"peak RSS after start: {_peak_rss_mb():.0f} MB\n")

    from PIL import Image

    from extraction.documents import PageImage, load_document

    # One warm-up page: ONNX Runtime's first run allocates and optimises; jobs after it are steady.
    from extraction import samplegen

    pipeline.ocr.recognize(samplegen.render_receipt(scale=0.5))

    per_group: dict[str, dict[str, list[float]]] = {}
    ocr_alone: dict[str, list[float]] = {}
    ocr_docs_total: dict[str, list[float]] = {}  # pipeline totals of the documents that needed OCR
    pages_per_group: dict[str, int] = {}
    cpu_ms: dict[str, list[float]] = {}  # this process's CPU time per document (every thread of it)
    for group, doc_id, path in _documents(args):
        data = path.read_bytes()
        cpu_before = time.process_time()
        result = pipeline.extract_bytes(data, doc_id=doc_id)
        cpu_ms.setdefault(group, []).append((time.process_time() - cpu_before) * 1000)
        stages = per_group.setdefault(group, {})
        for stage, ms in result.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
        pages_per_group[group] = pages_per_group.get(group, 0) + max(result.pages, 1)
        loaded = load_document(data, limits=pipeline.limits)
        images = [p.image for p in loaded.pages if isinstance(p, PageImage)]
        if images:
            t0 = time.perf_counter()
            for image in images:
                pipeline.ocr.recognize(image)
            ocr_alone.setdefault(group, []).append((time.perf_counter() - t0) * 1000)
            ocr_docs_total.setdefault(group, []).append(result.timings_ms["total"])

    print("| set | docs | stage | p50 ms | p95 ms | mean ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for group, stages in per_group.items():
        count = len(stages.get("total", []))
        for stage in ("fetch", "load", "ocr", "extract", "rules", "total"):
            values = stages.get(stage)
            if values:
                print(f"| {group} | {count} | {stage} | {_percentile(values, 0.5):.1f} | {_percentile(values, 0.95):.1f} | {statistics.mean(values):.1f} |")
    print()
    for group, stages in per_group.items():
        totals = stages["total"]
        line = (
            f"{group}: {statistics.mean(totals) / 1000:.3f} s per document, {sum(totals) / pages_per_group[group]:.1f} ms per page"
            f" ({sum(cpu_ms[group]) / pages_per_group[group]:.1f} ms of CPU)"
        )
        if group in ocr_alone:
            alone = statistics.mean(ocr_alone[group])
            with_ocr = statistics.mean(ocr_docs_total[group])
            overhead = (with_ocr - alone) / alone * 100
            line += f"; documents needing OCR: pipeline {with_ocr / 1000:.3f} s vs OCR engine alone {alone / 1000:.3f} s -> overhead {overhead:+.1f}%"
        print(line)
    print(f"\npeak RSS: {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
