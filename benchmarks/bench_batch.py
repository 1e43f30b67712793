"""Throughput on a batch, one core against all of them: ``python benchmarks/bench_batch.py``.

Receipts from ``../shared/datasets/sroie-dev`` (the second half: the first was used to choose
the detector settings), timed through:

- ``worker``: one job holding every receipt, ``Pipeline.run_job`` as the handler runs it;
  one core = the process pinned to one CPU with ``DOCUMENT_CONCURRENCY=1``; N cores = the
  default (one reader process per core; their start-up is timed apart, a worker starts them
  when it starts);
- ``threads``: the alternative that was not kept: N threads in one process, each with its own
  engine and one inference thread, calling ``extract_bytes``;
- ``evaluate``: ``python -m extraction.evaluate --workers 1`` pinned to one CPU against
  ``--workers N`` (its own wall clock, first document to last).

Runs alternate one core / N cores, ``--repeats`` times, each in a fresh process; prints
documents per second (median of the repeats) and the ratio. Also prints CPU seconds per document in both runs (worker: the timed job in the worker and its
readers; evaluate: the whole command, start-up included): on a machine shared with other jobs
the ratio of throughputs says how many cores the run got, the CPU time says whether the N-core
run wastes any. ``--rss-job 50`` then runs one
job of 50 documents on all cores and prints the peak RSS of the worker and of its readers.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "sroie-dev"


def receipts(dataset: Path, count: int) -> list[dict]:
    rows = [json.loads(line) for line in (dataset / "manifest.jsonl").read_text().splitlines() if line.strip()]
    rows = rows[len(rows) // 2 :]
    return [rows[i % len(rows)] for i in range(count)]


def peak_rss_mb(pid: int | str = "self") -> float:
    """VmHWM (peak resident set) of a process, in MB; 0 where /proc is missing."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds a process has used so far; 0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def child_worker(dataset: Path, count: int) -> None:
    """One job of ``count`` receipts through Pipeline.run_job; prints a JSON line."""
    from extraction.pipeline import Pipeline

    pipeline = Pipeline.from_env(ocr="rapidocr", extractor="rules")
    start_s = pipeline.readers.wait_ready() if pipeline.readers is not None else 0.0
    documents = [
        {"id": row["id"], "base64": base64.b64encode((dataset / row["file"]).read_bytes()).decode()} for row in receipts(dataset, count)
    ]
    pipeline.run_job({"documents": documents[:2]})  # first-run allocations in every reader
    readers = pipeline.readers
    pids = ["self"] + ([reader.process.pid for reader in list(readers._idle.queue)] if readers is not None else [])
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    started = time.perf_counter()
    output = pipeline.run_job({"documents": documents})
    seconds = time.perf_counter() - started
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    reader_rss = []
    if readers is not None:
        reader_rss = [peak_rss_mb(reader.process.pid) for reader in list(readers._idle.queue)]
    failed = output["summary"]["failed"]
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "docs": count, "failed": failed, "start_s": start_s, "rss_mb": peak_rss_mb(), "reader_rss_mb": reader_rss}))
    if readers is not None:
        readers.close()


def child_threads(dataset: Path, count: int, lanes: int) -> None:
    """``lanes`` threads, each with its own one-thread engine, calling extract_bytes."""
    from concurrent.futures import ThreadPoolExecutor

    from extraction.extractors.layout.extractor import RulesExtractor
    from extraction.ocr.rapid import RapidOcrEngine
    from extraction.pipeline import Pipeline

    pipelines = [Pipeline(RapidOcrEngine(), RulesExtractor()) for _ in range(lanes)]
    rows = receipts(dataset, count)
    blobs = [(dataset / row["file"]).read_bytes() for row in rows]
    for pipeline in pipelines:
        pipeline.extract_bytes(blobs[0])
    free = list(pipelines)
    import threading

    local = threading.local()

    def work(blob: bytes) -> str:
        if not hasattr(local, "pipeline"):
            local.pipeline = free.pop()
        return local.pipeline.extract_bytes(blob).status

    started = time.perf_counter()
    with ThreadPoolExecutor(lanes) as pool:
        statuses = list(pool.map(work, blobs))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "docs": count, "failed": sum(s != "ok" for s in statuses)}))


def run_child(args: list[str], one_core: bool, env: dict[str, str]) -> dict:
    command = [sys.executable, __file__, *args]
    preexec = (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if one_core else None
    done = subprocess.run(command, capture_output=True, text=True, env=env, preexec_fn=preexec, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"benchmark child failed: {done.stderr[-2000:]}")


def run_evaluate(dataset: Path, count: int, workers: int, one_core: bool, env: dict[str, str]) -> dict:
    command = [sys.executable, "-m", "extraction.evaluate", str(dataset), "--limit", str(count), "--workers", str(workers), "--no-progress"]
    preexec = (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if one_core else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, preexec_fn=preexec, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"([\d.]+) s wall with (\d+) worker", done.stdout)
    if not match:
        raise RuntimeError(f"evaluation failed: {done.stdout[-1000:]} {done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)  # start-up of every worker included
    return {"seconds": float(match.group(1)), "cpu_s": cpu, "docs": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--docs", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--modes", default="worker,threads,evaluate")
    parser.add_argument("--rss-job", type=int, default=0, help="documents of the peak-RSS job (0: skip)")
    parser.add_argument("--child", choices=("worker", "threads"), help=argparse.SUPPRESS)
    parser.add_argument("--lanes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "worker":
        return child_worker(args.dataset, args.docs)
    if args.child == "threads":
        return child_threads(args.dataset, args.docs, args.lanes)
    if not (args.dataset / "manifest.jsonl").exists():
        print(f"no dataset at {args.dataset}; nothing to measure")
        return

    cores = len(os.sched_getaffinity(0))
    base = {**os.environ, "PYTHONPATH": str(ROOT)}
    one = {**base, "DOCUMENT_CONCURRENCY": "1", "RAPIDOCR_THREADS": "1"}
    runs = {
        "worker": (
            lambda: run_child(["--child", "worker", "--docs", str(args.docs)], True, one),
            lambda: run_child(["--child", "worker", "--docs", str(args.docs)], False, base),
        ),
        "threads": (
            lambda: run_child(["--child", "threads", "--docs", str(args.docs), "--lanes", "1"], True, one),
            lambda: run_child(["--child", "threads", "--docs", str(args.docs), "--lanes", str(cores)], False, {**base, "RAPIDOCR_THREADS": "1"}),
        ),
        "evaluate": (
            lambda: run_evaluate(args.dataset, args.docs, 1, True, one),
            lambda: run_evaluate(args.dataset, args.docs, cores, False, base),
        ),
    }
    rates: dict[str, tuple[list[float], list[float]]] = {}
    cpu_per_doc: dict[str, tuple[list[float], list[float]]] = {}
    cores_used: dict[str, tuple[list[float], list[float]]] = {}
    extra: dict[str, list[dict]] = {}
    for _ in range(args.repeats):
        for mode in args.modes.split(","):
            single, multi = runs[mode]
            ones, manys = rates.setdefault(mode, ([], []))
            first = single()
            second = multi()
            ones.append(first["docs"] / first["seconds"])
            manys.append(second["docs"] / second["seconds"])
            cpu_one, cpu_many = cpu_per_doc.setdefault(mode, ([], []))
            cpu_one.append(first.get("cpu_s", 0.0) / first["docs"])
            cpu_many.append(second.get("cpu_s", 0.0) / second["docs"])
            used_one, used_many = cores_used.setdefault(mode, ([], []))
            used_one.append(first.get("cpu_s", 0.0) / first["seconds"])
            used_many.append(second.get("cpu_s", 0.0) / second["seconds"])
            extra.setdefault(mode, []).append(second)
    load = os.getloadavg()[0]
    print(f"\n{args.docs} receipts, {cores} cores, {args.repeats} repeats, load average {load:.2f} at the end\n")
    # CPU seconds per document: equal in both columns means the N-core run does no extra work, so
    # its throughput is bounded only by the cores it gets. "cores used" (CPU seconds / wall
    # seconds) says how many it got: on a machine shared with other jobs (Linux gives each process
    # session, not each thread, its share: sched_autogroup), fewer than N whatever the code does.
    print(f"| path | 1 core docs/s | {cores} cores docs/s | ratio | CPU s/doc 1 core | CPU s/doc {cores} cores | cores used 1 / {cores} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mode, (ones, manys) in rates.items():
        one_rate, many_rate = statistics.median(ones), statistics.median(manys)
        cpu_one, cpu_many = (statistics.median(v) for v in cpu_per_doc[mode])
        used_one, used_many = (statistics.median(v) for v in cores_used[mode])
        print(
            f"| {mode} | {one_rate:.3f} | {many_rate:.3f} | {many_rate / one_rate:.2f}x | {cpu_one:.2f} | {cpu_many:.2f} "
            f"| {used_one:.2f} / {used_many:.2f} |"
        )
    if "worker" in extra:
        print(f"\nreader processes ready in {statistics.median(r['start_s'] for r in extra['worker']):.1f} s (at worker start, in the background)")
    if args.rss_job:
        job = run_child(["--child", "worker", "--docs", str(args.rss_job)], False, base)
        readers = job["reader_rss_mb"]
        print(
            f"\n{args.rss_job}-document job on {cores} cores: {job['seconds']:.1f} s, {job['failed']} failed; peak RSS worker "
            f"{job['rss_mb']:.0f} MB, readers {' + '.join(f'{r:.0f}' for r in readers) or '-'} MB, "
            f"together {job['rss_mb'] + sum(readers):.0f} MB"
        )


if __name__ == "__main__":
    main()
