"""``python -m extraction.evaluate``: score the pipeline on labelled datasets.

Exit codes: 0 done; 1 a score fell below ``--fail-below``; 2 bad arguments, manifest or baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from extraction.evaluate import heldout
from extraction.evaluate.aggregate import score_dataset
from extraction.evaluate.manifest import ManifestError, load_dataset
from extraction.evaluate.report import compare, load_baseline, markdown, merge_baseline, regressions, run_key, write_errors, write_json
from extraction.evaluate.runner import PipelineBuildError, PipelineFactory, build_pipeline, default_workers, run_datasets


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m extraction.evaluate",
        description="Run the extraction pipeline on labelled datasets (folders with manifest.jsonl) and score every field.",
    )
    parser.add_argument("datasets", nargs="+", type=Path, metavar="DATASET_DIR", help="folder holding manifest.jsonl (or the manifest itself)")
    parser.add_argument("--ocr", help="OCR engine name (default: env OCR_ENGINE, else auto)")
    parser.add_argument("--extractor", help="extractor name (default: env EXTRACTOR, else auto)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores, or 1 with a GPU engine); 1 runs in this process")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N documents of each dataset")
    parser.add_argument(
        "--ocr-source",
        choices=("engine", "dataset"),
        default="engine",
        help="engine: load the files and run OCR as the service does; dataset: use the manifest's ocr_boxes instead",
    )
    parser.add_argument(
        "--ocr-cache",
        type=Path,
        metavar="DIR",
        help="reuse OCR results stored here (keyed by page pixels and engine settings); OCR latency then reflects the cache",
    )
    parser.add_argument("--out", type=Path, help="write the full JSON report here")
    parser.add_argument("--errors", type=Path, help="write one JSON line per wrong/missing/spurious field here, with nearby OCR text")
    parser.add_argument("--errors-gallery", type=Path, metavar="DIR", help="write a PNG per wrong field here: the page around the predicted and the expected value, side by side")
    parser.add_argument("--compare", type=Path, metavar="BASELINE", help="print the F1 change per field against this baseline")
    parser.add_argument("--fail-below", type=Path, metavar="BASELINE", help="exit 1 when a field or mean F1 falls below this baseline")
    parser.add_argument("--tolerance", type=float, default=0.0, help="F1 drop allowed by --fail-below (default 0)")
    parser.add_argument("--write-baseline", type=Path, metavar="BASELINE", help="store this run's scores in a baseline file (other runs in it are kept)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    heldout.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def evaluate(args: argparse.Namespace, factory: Optional[PipelineFactory] = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run and score; returns the report and the error rows (the CLI's work without the printing)."""
    datasets = [load_dataset(path, limit=args.limit) for path in args.datasets]
    plan = heldout.plan_from_args(args)
    datasets = heldout.restrict(datasets, plan)
    workers = args.workers
    if factory is None:
        factory = functools.partial(build_pipeline, args.ocr, args.extractor)
        workers = workers or default_workers(args.ocr, args.extractor)
    results = run_datasets(
        datasets,
        factory,
        ocr_source=args.ocr_source,
        workers=workers,
        want_lines=args.errors is not None or args.errors_gallery is not None,
        progress=not args.no_progress,
        ocr_cache=str(args.ocr_cache) if args.ocr_cache else None,
    )
    report: dict[str, Any] = {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "settings": {
            "ocr": args.ocr,
            "extractor": args.extractor,
            "ocr_source": args.ocr_source,
            "workers": workers or "all",
            "limit": args.limit,
            "ocr_cache": str(args.ocr_cache) if args.ocr_cache else None,
            "group_by": plan.groupings,
            "split": [str(s.path) for s in plan.splits],
            "side": plan.side,
            "swap": plan.swap,
        },
        "engines": None,
        "runs": {},
    }
    all_errors: list[dict[str, Any]] = []
    for dataset, (records, wall_s) in zip(datasets, results):
        described = next((r["pipeline"] for r in records if r.get("pipeline")), None)
        if described and report["engines"] is None:
            report["engines"] = described
        names = records[0]["engines"] if records else {"ocr": "?", "extractor": "?"}
        summary, errors = score_dataset(dataset, records, wall_s)
        key = run_key(dataset.name, names["ocr"], names["extractor"])
        for row in errors:
            row["run"] = key
        summary["ocr_cache_hits"] = sum(bool(r.get("ocr_cache_hit")) for r in records)
        report["runs"][key] = {"dataset": dataset.name, "path": str(dataset.root), **names, "ocr_source": args.ocr_source, **summary}
        heldout.annotate(report["runs"][key], dataset, records, plan)
        all_errors.extend(errors)
    heldout.finish(report, plan)
    return report, all_errors


def main(argv: Optional[Sequence[str]] = None, factory: Optional[PipelineFactory] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        baselines = {flag: load_baseline(path) for flag, path in (("compare", args.compare), ("fail_below", args.fail_below)) if path}
    except SystemExit as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        report, errors = evaluate(args, factory)
    except (ManifestError, PipelineBuildError, heldout.GroupingError, heldout.SplitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(markdown(report))
    if heldout.markdown(report):
        print(heldout.markdown(report))
    if args.out:
        write_json(args.out, report)
        print(f"report written to {args.out}", file=sys.stderr)
    if args.errors:
        count = write_errors(args.errors, errors)
        print(f"{count} error rows written to {args.errors}", file=sys.stderr)
    if args.errors_gallery:
        from extraction.evaluate.gallery import write_gallery

        print(f"{write_gallery(args.errors_gallery, errors, args.datasets)} pictures written to {args.errors_gallery}", file=sys.stderr)
    if args.write_baseline:
        merge_baseline(args.write_baseline, report)
        print(f"baseline updated: {args.write_baseline}", file=sys.stderr)
    if "compare" in baselines:
        text, _ = compare(report, baselines["compare"])
        print(text)
    if "fail_below" in baselines:
        text, changes = compare(report, baselines["fail_below"])
        if not changes:
            print(f"error: no run of this evaluation is in {args.fail_below}; nothing to check (runs here: {', '.join(report['runs'])})", file=sys.stderr)
            return 2
        dropped = regressions(changes, args.tolerance)
        if dropped:
            for change in dropped:
                print(f"REGRESSION {change['run']} {change['field']}: F1 {change['current']} < baseline {change['baseline']}", file=sys.stderr)
            return 1
        print(f"scores at or above {args.fail_below} for {len({c['run'] for c in changes})} run(s)", file=sys.stderr)
    return 0
