"""What page preparation costs on pages that need nothing: its analysis time against OCR time.

    python benchmarks/pageprep_cost.py ../shared/datasets/sroie-dev --limit 20
    python benchmarks/pageprep_cost.py samples

For each page image (the first ``--limit`` of a labelled folder, evenly spread), in one
process: the preparation's decisions (analysis copy, character blobs, orientation vote,
outline search) and the resampling it asks for, then RapidOCR on the page as prepared and
on the page as received. Prints milliseconds per page and the preparation's share of the OCR
time, plus the decisions taken (on upright scans they should be "nothing to do").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="a folder with manifest.jsonl (image documents)")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="timings per page: the fastest of this many (machine noise)")
    parser.add_argument(
        "--turn", type=int, default=0, choices=(0, 90, 180, 270),
        help="turn every page clockwise by this many degrees first (the cost on pages that need turning)",
    )
    args = parser.parse_args(argv)

    from extraction.documents import PageImage
    from extraction.ocr.rapid import RapidOcrEngine
    from extraction.pageprep import PagePreparer
    from extraction.pageprep.transform import apply

    entries = [json.loads(line) for line in (args.dataset / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    files = [args.dataset / e["file"] for e in entries if str(e.get("file", "")).lower().endswith(IMAGE_SUFFIXES)]
    if args.limit < len(files):
        files = [files[int(i)] for i in np.linspace(0, len(files) - 1, args.limit).round()]
    preparer = PagePreparer()
    preparer.classifier()  # loaded once, as at start-up
    ocr = RapidOcrEngine()
    prep_ms: list[float] = []
    ocr_ms: list[float] = []
    ocr_prepared_ms: list[float] = []
    readings: list[int] = []
    decisions: list[str] = []
    for path in files:
        with Image.open(path) as source:
            image = source.convert("RGB")
        if args.turn:
            image = image.rotate(-args.turn, expand=True)

        def timed(work):
            best, value = float("inf"), None
            for _ in range(args.repeat):
                started = time.perf_counter()
                value = work()
                best = min(best, time.perf_counter() - started)
            return best * 1000.0, value

        spent, plan = timed(lambda: preparer.plan(image))
        resample_ms, prepared = timed(lambda: apply(image, plan.transform, plan.fill))
        prep_ms.append(spent + resample_ms)
        ocr_ms.append(timed(lambda: ocr.recognize(image))[0])
        # The page as the pipeline reads it: once, or twice when the upside-down vote was close.
        reads = [0]

        def recognize(page: PageImage) -> list:
            reads[0] += 1
            return ocr.recognize(page.image)

        started = time.perf_counter()
        preparer.read(PageImage(1, image), recognize)
        read_ms = 1000.0 * (time.perf_counter() - started) - spent - resample_ms
        ocr_prepared_ms.append(read_ms)
        readings.append(reads[0])
        decisions.append(
            f"rotation {plan.rotation}, deskew {plan.deskew:+.1f}, flattened {plan.flattened}, ocr_scale {plan.ocr_scale:g}"
        )
        print(
            f"{path.name}: prep {prep_ms[-1]:.0f} ms, OCR {ocr_ms[-1]:.0f} ms (prepared page, {reads[0]} reading(s): {read_ms:.0f} ms); {decisions[-1]}",
            flush=True,
        )
    share = 100.0 * sum(prep_ms) / max(sum(ocr_ms), 1e-9)
    print()
    print(f"pages: {len(files)} from {args.dataset.name}" + (f", turned by {args.turn} degrees" if args.turn else ""))
    print(f"preparation: {statistics.mean(prep_ms):.0f} ms/page mean, {max(prep_ms):.0f} ms max")
    print(f"OCR as received: {statistics.mean(ocr_ms):.0f} ms/page; OCR as prepared: {statistics.mean(ocr_prepared_ms):.0f} ms/page")
    print(f"preparation / OCR time: {share:.1f}%")
    total = 100.0 * (sum(prep_ms) + sum(ocr_prepared_ms) - sum(ocr_ms)) / max(sum(ocr_ms), 1e-9)
    print(f"pages read twice (close upside-down vote): {sum(r > 1 for r in readings)} of {len(files)}")
    print(f"whole cost (preparation + second readings + OCR of the prepared page - OCR as received) / OCR time: {total:+.1f}%")
    unchanged = sum(d == "rotation 0, deskew +0.0, flattened False, ocr_scale 1" for d in decisions)
    print(f"pages left exactly as received: {unchanged} of {len(files)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
