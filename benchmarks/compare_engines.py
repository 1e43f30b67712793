"""This pipeline against raw RapidOCR and Tesseract, per receipt: ``python benchmarks/compare_engines.py``.

On the same images, interleaved (each image goes through every contender before the next image,
in alternating order, so that a busy machine slows all of them alike), it times:

- ``pipeline``: this worker end to end (``Pipeline.extract_bytes``: decode, OCR with word boxes,
  extraction, rules) with the settings of the environment; ``--pipeline NAME=VALUE,...`` adds
  more configurations, e.g. ``RAPIDOCR_RUNTIME=onnxruntime`` for ONNX Runtime;
- ``rapidocr-raw``: RapidOCR with its own defaults on the image file (OCR only);
- ``tesseract``: the ``tesseract`` command (``--psm 4``, text out), when installed; skipped with
  a message otherwise (Debian: ``apt-get install tesseract-ocr``).

Each contender runs in a process of its own, loaded once and idle while the others run, so an
engine's inference threads (ONNX Runtime's spin while they wait for work) cannot slow another
contender; Tesseract is its own process anyway. Times are taken inside the contender's process.

Prints median, p90 and mean seconds per receipt and the ratio of each median to Tesseract's
(and to raw RapidOCR's). Defaults: the last 30 receipts of ``../shared/datasets/sroie-dev``
(the first half of that set was used to choose the detector settings).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "sroie-dev"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def images(dataset: Path, count: int, skip_first: int | None) -> list[Path]:
    rows = [json.loads(line) for line in (dataset / "manifest.jsonl").read_text().splitlines() if line.strip()]
    rows = [row for row in rows if row.get("file")]
    chosen = rows[skip_first : skip_first + count] if skip_first is not None else rows[-count:]
    return [dataset / row["file"] for row in chosen]


def pipeline_runner(config: str) -> Callable[[Path], None]:
    """This pipeline built with the environment plus ``config`` (``NAME=VALUE,...``)."""
    from extraction.ocr.rapid import RapidOcrEngine
    from extraction.pipeline import Pipeline
    from extraction.extractors.layout.extractor import RulesExtractor
    from extraction.settings import load_settings
    from extraction.settings.rapidocr import RapidOcrSettings

    overrides = dict(item.split("=", 1) for item in config.split(",") if item.strip())
    environ = {**os.environ, **overrides}
    pipeline = Pipeline(RapidOcrEngine(settings=load_settings(RapidOcrSettings, environ)), RulesExtractor())
    return lambda path: pipeline.extract_bytes(path.read_bytes(), doc_id=path.stem)


def rapidocr_runner(config: str = "") -> Callable[[Path], None]:
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "warning"})
    return lambda path: engine(str(path))


def tesseract_runner(binary: str) -> Callable[[Path], None]:
    def run(path: Path) -> None:
        subprocess.run([binary, str(path), "stdout", "--psm", "4"], check=True, capture_output=True)

    return run


class Contender:
    """One contender in a process of its own (``--serve KIND --config CONFIG``), timed there."""

    def __init__(self, kind: str, config: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, __file__, "--serve", kind, "--config", config]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._reply({"op": "init"})

    def _reply(self, request: dict) -> dict:
        from extraction.framing import read_frame, write_frame

        write_frame(self.process.stdin, request)  # type: ignore[arg-type]
        reply = read_frame(self.process.stdout)  # type: ignore[arg-type]
        if not reply.get("ok"):
            raise RuntimeError(f"contender failed: {reply.get('error')}")
        return reply

    def __call__(self, path: Path) -> float:
        return float(self._reply({"op": "run", "path": str(path)})["seconds"])

    def close(self) -> None:
        from extraction.framing import write_frame

        write_frame(self.process.stdin, {"op": "close"})  # type: ignore[arg-type]
        self.process.stdin.close()  # type: ignore[union-attr]
        self.process.wait(timeout=30)


RUNNERS: dict[str, Callable[[str], Callable[[Path], None]]] = {"pipeline": pipeline_runner, "rapidocr-raw": rapidocr_runner}


def serve_contender(kind: str, config: str) -> int:
    from extraction.framing import protocol_streams, serve_requests

    requests, replies = protocol_streams()
    runner: list[Callable[[Path], None]] = []

    def init(request: dict) -> dict:
        runner.append(RUNNERS[kind](config))
        return {"ok": True}

    def run(request: dict) -> dict:
        started = time.perf_counter()
        runner[0](Path(request["path"]))
        return {"ok": True, "seconds": time.perf_counter() - started}

    return serve_requests({"init": init, "run": run}, requests, replies)


def timed_tesseract(binary: str) -> Callable[[Path], float]:
    run = tesseract_runner(binary)

    def timed(path: Path) -> float:
        started = time.perf_counter()
        run(path)
        return time.perf_counter() - started

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--count", type=int, default=30, help="receipts to time")
    parser.add_argument("--skip-first", type=int, default=None, help="start after this many (default: the last --count)")
    parser.add_argument("--pipeline", action="append", default=[], metavar="NAME=VALUE,...", help="another pipeline configuration")
    parser.add_argument("--no-raw", action="store_true", help="leave raw RapidOCR out")
    parser.add_argument("--serve", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--config", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        sys.exit(serve_contender(args.serve, args.config))
    if not (args.dataset / "manifest.jsonl").exists():
        print(f"no dataset at {args.dataset}; nothing to compare")
        return
    paths = images(args.dataset, args.count, args.skip_first)

    contenders: dict[str, Callable[[Path], float]] = {"pipeline": Contender("pipeline", "")}
    for config in args.pipeline:
        contenders[f"pipeline {config}"] = Contender("pipeline", config)
    if not args.no_raw:
        contenders["rapidocr-raw"] = Contender("rapidocr-raw", "")
    tesseract = shutil.which("tesseract")
    if tesseract:
        contenders["tesseract"] = timed_tesseract(tesseract)
    else:
        print("tesseract is not installed: skipped (Debian: apt-get install tesseract-ocr)")
    for run in contenders.values():
        run(paths[0])  # first-run allocations and caches, not timed

    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for index, path in enumerate(paths):
        names = list(contenders) if index % 2 == 0 else list(contenders)[::-1]
        for name in names:
            seconds[name].append(contenders[name](path))
    for run in contenders.values():
        if isinstance(run, Contender):
            run.close()

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{len(paths)} receipts from {args.dataset.name}, {os.cpu_count()} cores, load average {load:.2f} at the end\n")
    references = [name for name in ("tesseract", "rapidocr-raw") if name in seconds]
    header = "| contender | median s | p90 s | mean s |" + "".join(f" / {ref} |" for ref in references)
    print(header)
    print("| --- | ---: | ---: | ---: |" + " ---: |" * len(references))
    for name, values in seconds.items():
        median = statistics.median(values)
        ratios = "".join(f" {median / statistics.median(seconds[ref]):.2f}x |" for ref in references)
        print(f"| {name} | {median:.2f} | {percentile(values, 0.9):.2f} | {statistics.mean(values):.2f} |{ratios}")


if __name__ == "__main__":
    main()
