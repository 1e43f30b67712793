"""``python -m model_cache prefetch [--tilt] [--ocr]`` and ``python -m model_cache status``.

Run ``prefetch`` once where the volume is mounted (a pod, or at image build time to bake
weights into the image); ``status`` shows what is present, how big, and what is missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import model_cache


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


def _selected(args: argparse.Namespace) -> list[str]:
    groups = [g for g, flag in (("tilt", args.tilt), ("ocr", args.ocr)) if flag]
    if not groups:
        groups = ["tilt", "ocr"]
    names = [name for group in groups for name in model_cache.group_names(group)]
    return [n for n in names if n not in set(args.skip or [])]


def cmd_prefetch(args: argparse.Namespace) -> int:
    root = model_cache.cache_root()
    print(f"model cache: {root}")
    failed = 0
    for name in _selected(args):
        try:
            path = model_cache.ensure(name, download_allowed=True)
        except model_cache.ModelCacheError as exc:
            failed += 1
            print(f"FAILED  {name}: {exc}", file=sys.stderr)
            continue
        facts = model_cache.timings().get(name, {})
        action = "downloaded" if facts.get("downloaded") else "present"
        print(f"{action:<10} {name:<20} {path}  ({facts.get('total_ms', 0) / 1000:.1f}s)")
    return 1 if failed else 0


def cmd_status(args: argparse.Namespace) -> int:
    rows = model_cache.status()
    if args.json:
        print(json.dumps({"root": str(model_cache.cache_root()), "models": rows}, indent=2))
    else:
        print(f"model cache: {model_cache.cache_root()}")
        for row in rows:
            if row["present"]:
                print(f"present  {row['name']:<20} {_human(row['bytes']):>9}  {row['source']:<9} {row['path']}")
            else:
                note = " (optional)" if row["optional"] else ""
                print(f"MISSING  {row['name']:<20} {row['repo_id']}{note}")
        missing = [r["name"] for r in rows if not r["present"] and not r["optional"]]
        if missing:
            print(f"missing: {', '.join(missing)} -> run `python -m model_cache prefetch`")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_cache", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    prefetch = sub.add_parser("prefetch", help="download missing models into the cache (no flag: all)")
    prefetch.add_argument("--tilt", action="store_true", help="the Arctic-TILT model")
    prefetch.add_argument("--ocr", action="store_true", help="the PaddleOCR models")
    prefetch.add_argument("--skip", action="append", metavar="NAME", help="leave this model out (repeatable)")
    status = sub.add_parser("status", help="what is present, sizes, and what is missing (no network)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpx2", "huggingface_hub", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return cmd_prefetch(args) if args.command == "prefetch" else cmd_status(args)


if __name__ == "__main__":
    sys.exit(main())
