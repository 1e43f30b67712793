"""CPU time per text-layer PDF page: ``python benchmarks/bench_text_layer.py [--against DIR]``.

What a worker spends on a digital PDF (no OCR): pdfium's text layer read into words and lines,
then the rules extractor. Each measured document is read once, in a process warmed up on other
documents first (engines built, the vocabulary's indexes filled), as a worker that has served a
few jobs reads a new one: reading the same files again would only show the memo caches.

Documents: the first ``--docs`` PDFs of ``../shared/datasets/vrdu-adbuy-dev`` after the
``--warmup`` ones, and every PDF of ``../shared/datasets/invoice2data``. ``--against DIR`` runs
the same measurement with the code of another checkout (e.g. a clone of main) in alternation,
``--rounds`` times each, so both are timed in one sitting on this noisy machine. Prints the CPU
milliseconds per page (process time: what the page needed, whatever the load) and the wall
milliseconds of the load and extract stages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"


def pdfs(dataset: Path) -> list[Path]:
    manifest = dataset / "manifest.jsonl"
    if not manifest.exists():
        return []
    rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    return [dataset / row["file"] for row in rows if str(row.get("file", "")).lower().endswith(".pdf")]


def child(docs: int, warmup: int) -> None:
    """Warm up on ``warmup`` documents, then read each measured one once; print a JSON line."""
    sys.path.insert(0, os.getcwd())
    from extraction.pipeline import Pipeline

    vrdu = pdfs(DATASETS / "vrdu-adbuy-dev")
    warm, measured = vrdu[:warmup], vrdu[warmup : warmup + docs] + pdfs(DATASETS / "invoice2data")
    pipeline = Pipeline.from_env(ocr="rapidocr", extractor="rules")
    for path in warm:
        pipeline.extract_bytes(path.read_bytes(), path.stem)
    pages, cpu, stages = 0, 0.0, {"load": 0.0, "extract": 0.0}
    for path in measured:
        data = path.read_bytes()
        started = time.process_time()
        result = pipeline.extract_bytes(data, path.stem)
        cpu += time.process_time() - started
        pages += result.pages if isinstance(result.pages, int) else len(result.pages)
        for stage in stages:
            stages[stage] += result.timings_ms.get(stage, 0.0)
    print(json.dumps({"documents": len(measured), "pages": pages, "cpu_ms_per_page": 1000 * cpu / max(pages, 1), **{f"{k}_ms_per_page": v / max(pages, 1) for k, v in stages.items()}}))


def run(code_root: Path, docs: int, warmup: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_root), "DOCUMENT_CONCURRENCY": "1"}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--docs", str(docs), "--warmup", str(warmup)], cwd=code_root, env=env, capture_output=True, text=True, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"benchmark child failed in {code_root}: {done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=30, help="measured vrdu-adbuy-dev PDFs (after the warm-up ones)")
    parser.add_argument("--warmup", type=int, default=5, help="vrdu-adbuy-dev PDFs read before measuring")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout to time in alternation")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.docs, args.warmup)
    if not pdfs(DATASETS / "vrdu-adbuy-dev"):
        print(f"no text-layer PDFs under {DATASETS}; nothing to measure")
        return
    roots = {"this checkout": ROOT, **({f"against {args.against}": args.against.resolve()} if args.against else {})}
    results: dict[str, list[dict]] = {name: [] for name in roots}
    for _ in range(args.rounds):
        for name, root in roots.items():
            results[name].append(run(root, args.docs, args.warmup))
    first = next(iter(results.values()))[0]
    print(f"\n{first['documents']} documents, {first['pages']} pages, {args.rounds} rounds, load average {os.getloadavg()[0]:.2f} at the end\n")
    print("| code | CPU ms/page (median) | min | max | load ms/page | extract ms/page |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        cpu = [r["cpu_ms_per_page"] for r in runs]
        print(
            f"| {name} | {statistics.median(cpu):.1f} | {min(cpu):.1f} | {max(cpu):.1f} "
            f"| {statistics.median(r['load_ms_per_page'] for r in runs):.1f} | {statistics.median(r['extract_ms_per_page'] for r in runs):.1f} |"
        )


if __name__ == "__main__":
    main()
