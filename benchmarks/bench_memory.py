"""Memory of one process reading a 50-document job: ``python benchmarks/bench_memory.py``.

Why: a worker's reader (or a worker reading a job itself, ``DOCUMENT_CONCURRENCY=1``) grew past
1 GB on a 50-receipt job on OpenVINO, and the peak, not the end, is what a container's memory
limit sees. Each configuration (``--config NAME=ENV=VALUE,ENV=VALUE``; ``NAME=`` alone: the
defaults) runs in a fresh process: one job of ``--docs`` sroie-dev receipts through
``Pipeline.run_job`` with ``DOCUMENT_CONCURRENCY=1`` (read in this process, the worker's path
for a job without readers, the same code a reader runs per document, trimmed after each
document as a reader is). After every ``--every`` documents it records VmRSS and VmHWM and the
seconds per document of that stretch; at the end the configurations are printed side by side,
with the documents whose extracted fields differ from the first configuration's. ``--rounds 2``
runs every configuration twice, alternating, and prints the medians of the timings.
``BENCH_CODE=DIR`` in a configuration runs that checkout's code (``git archive`` of an earlier
commit) instead of this one's.

    git archive a7a936d | (mkdir -p /tmp/before && tar -x -C /tmp/before)
    python benchmarks/bench_memory.py --config before=BENCH_CODE=/tmp/before --config after= \\
        --config after-ort=RAPIDOCR_RUNTIME=onnxruntime
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: ``--config NAME=BENCH_CODE=DIR``: that configuration runs another checkout's code (a "before")
sys.path.insert(0, os.environ.get("BENCH_CODE") or str(ROOT))

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "sroie-dev"


def memory_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB; (0, 0) where /proc is missing."""
    values = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":", 1)[0] + ":"
            if key in values:
                values[key] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return values["VmRSS:"], values["VmHWM:"]


def child(dataset: Path, start: int, count: int, every: int) -> None:
    """One job of ``count`` receipts (manifest rows ``start``...) read here; one JSON line per checkpoint."""
    os.environ["EXTRACT_BATCH_SIZE"] = str(every)  # the progress callback fires per extracted batch
    from extraction.memory import release_freed_memory
    from extraction.pipeline import Pipeline

    rows = [json.loads(line) for line in (dataset / "manifest.jsonl").read_text().splitlines() if line.strip()]
    chosen = [rows[(start + i) % len(rows)] for i in range(count)]
    pipeline = Pipeline.from_env(ocr="rapidocr", extractor="rules")
    original_read = pipeline.read_prepared

    def read_and_trim(*args: Any, **kwargs: Any) -> None:  # what a reader does after each document
        original_read(*args, **kwargs)
        release_freed_memory()

    pipeline.read_prepared = read_and_trim  # type: ignore[method-assign]
    rss, hwm = memory_mb()
    print(json.dumps({"done": 0, "rss_mb": rss, "hwm_mb": hwm, "s_per_doc": 0.0}), flush=True)
    documents = [{"id": row["id"], "base64": base64.b64encode((dataset / row["file"]).read_bytes()).decode()} for row in chosen]
    last = [time.perf_counter(), 0]
    fields: dict[str, Any] = {}

    def progress(done: int, _total: int, result: Any) -> None:
        fields[result.id] = result.fields if result.status == "ok" else {"error": result.status}
        if done % every == 0 or done == count:
            now = time.perf_counter()
            rss, hwm = memory_mb()
            per_doc = (now - last[0]) / max(1, done - last[1])
            last[0], last[1] = now, done
            print(json.dumps({"done": done, "rss_mb": rss, "hwm_mb": hwm, "s_per_doc": per_doc}), flush=True)

    pipeline.run_job({"documents": documents}, progress=progress)
    print(json.dumps({"fields": json.loads(json.dumps(fields, default=_plain))}), flush=True)


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else str(value)


def field_values(fields: dict[str, Any]) -> dict[str, Any]:
    """A document's extracted values only (confidences and boxes left out: they may move a little)."""
    out: dict[str, Any] = {}
    for name, value in (fields or {}).items():
        out[name] = value.get("value") if isinstance(value, dict) else value
    return out


def run_config(name: str, env_text: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DOCUMENT_CONCURRENCY": "1", "LOG_LEVEL": "WARNING"}
    for pair in filter(None, env_text.split(",")):
        key, _, value = pair.partition("=")
        env[key.strip()] = value.strip()
    command = [sys.executable, __file__, "--child", "--dataset", str(args.dataset), "--start", str(args.start), "--docs", str(args.docs), "--every", str(args.every)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    points, fields = [], {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            if "fields" in row:
                fields = row["fields"]
            else:
                points.append(row)
    if not fields:
        raise RuntimeError(f"{name}: the benchmark process failed: {done.stderr[-3000:]}")
    print(f"{name}: " + ", ".join(f"{p['done']}: {p['hwm_mb']:.0f} MB" for p in points), flush=True)
    return {"points": points, "fields": fields}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--start", type=int, default=60, help="first manifest row (the second half of sroie-dev)")
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--config", action="append", default=[], help="NAME=ENV=VALUE,ENV=VALUE (NAME= : defaults)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.dataset, args.start, args.docs, args.every)
    if not (args.dataset / "manifest.jsonl").exists():
        print(f"no dataset at {args.dataset}; nothing to measure")
        return
    configs = [(text.partition("=")[0], text.partition("=")[2]) for text in (args.config or ["defaults="])]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in configs}
    for _ in range(args.rounds):
        for name, env_text in configs:
            runs[name].append(run_config(name, env_text, args))

    print(f"\n{args.docs} sroie-dev receipts from row {args.start}, one process, {args.rounds} round(s), load average {os.getloadavg()[0]:.2f} at the end\n")
    names = [name for name, _ in configs]
    print("| documents | " + " | ".join(f"{n} RSS / peak MB | {n} s/doc" for n in names) + " |")
    print("| ---: | " + " | ".join("---: | ---:" for _ in names) + " |")
    checkpoints = [p["done"] for p in runs[names[0]][0]["points"]]
    for index, done in enumerate(checkpoints):
        cells = []
        for name in names:
            points = [run["points"][index] for run in runs[name] if index < len(run["points"])]
            rss = max(p["rss_mb"] for p in points)
            hwm = max(p["hwm_mb"] for p in points)
            per_doc = statistics.median(p["s_per_doc"] for p in points)
            cells.append(f"{rss:.0f} / {hwm:.0f} | {per_doc:.2f}" if done else f"{rss:.0f} / {hwm:.0f} | -")
        print(f"| {done} | " + " | ".join(cells) + " |")
    print("| all | " + " | ".join(
        f"peak {max(p['hwm_mb'] for run in runs[n] for p in run['points']):.0f} | "
        f"{statistics.median(_seconds_per_doc(run) for run in runs[n]):.2f}" for n in names) + " |")
    reference = {doc: field_values(f) for doc, f in runs[names[0]][0]["fields"].items()}
    for name in names[1:]:
        other = {doc: field_values(f) for doc, f in runs[name][0]["fields"].items()}
        differ = [doc for doc in reference if reference[doc] != other.get(doc)]
        print(f"\n{name} against {names[0]}: {len(reference) - len(differ)} of {len(reference)} documents with the same fields")
        for doc in differ:
            changed = {k: (reference[doc].get(k), other.get(doc, {}).get(k)) for k in set(reference[doc]) | set(other.get(doc, {})) if reference[doc].get(k) != other.get(doc, {}).get(k)}
            print(f"  {doc}: {changed}")


def _seconds_per_doc(run: dict[str, Any]) -> float:
    points = [p for p in run["points"] if p["done"]]
    total = sum(p["s_per_doc"] * (p["done"] - prev["done"]) for prev, p in zip(run["points"], run["points"][1:]))
    return total / max(1, points[-1]["done"] if points else 1)


if __name__ == "__main__":
    main()
