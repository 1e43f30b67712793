"""Long receipts: time and reading accuracy against ordinary ones, ``python benchmarks/long_receipts.py``.

No labelled long receipts exist here, so they are made: two consecutive sroie-dev receipts are
stacked (the second scaled to the first one's width), and pairs whose result is not taller
than 3x its width are skipped. The dataset's own line transcripts of both receipts are the
truth for the stacked page. Each configuration reads, interleaved on the same pairs, the
stacked page and its two halves separately, and the script prints:

- seconds per long receipt and its ratio to the mean of its two halves (one SROIE receipt);
- word F1 of the recognised text against the transcripts (upper-cased words, counted with
  repeats), for the stacked page and for the halves read alone: a long receipt should read as
  well as its parts.

Configurations are RapidOCR settings (``NAME=VALUE,...``); ``--half tune`` uses the first half
of the dataset's receipts, ``--half report`` the second, so settings chosen on one are
reported on the other.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "sroie-dev"
DEFAULT_CONFIGS = ("", "RAPIDOCR_DET_MIN_SHORT_SIDE=736")  # the defaults (no floor) against the floor


def stack(top, bottom):
    """``bottom`` scaled to ``top``'s width, pasted below it (white background)."""
    from PIL import Image

    width = top.width
    scaled = bottom.resize((width, max(1, round(bottom.height * width / bottom.width))))
    page = Image.new("RGB", (width, top.height + scaled.height), "white")
    page.paste(top.convert("RGB"), (0, 0))
    page.paste(scaled.convert("RGB"), (0, top.height))
    return page


def words(texts) -> Counter:
    return Counter(word for text in texts for word in text.upper().split())


def word_f1(found: Counter, truth: Counter) -> float:
    hits = sum((found & truth).values())
    if not found or not truth:
        return float(found == truth)
    precision, recall = hits / sum(found.values()), hits / sum(truth.values())
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


def parse_config(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(",") if item.strip())


def pairs(dataset: Path, half: str, limit: int):
    from PIL import Image

    from extraction.evaluate.manifest import read_ocr_boxes

    rows = [json.loads(line) for line in (dataset / "manifest.jsonl").read_text().splitlines() if line.strip()]
    middle = len(rows) // 2
    rows = rows[:middle] if half == "tune" else rows[middle:]
    made = []
    for first, second in zip(rows[0::2], rows[1::2]):
        top, bottom = (Image.open(dataset / row["file"]).convert("RGB") for row in (first, second))
        page = stack(top, bottom)
        if page.height <= 3 * page.width:
            continue
        truth = [words(box.text for box in read_ocr_boxes(dataset / row["ocr_boxes"])) for row in (first, second)]
        made.append((page, top, bottom, truth))
        if len(made) >= limit:
            break
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--half", choices=("tune", "report"), default="report")
    parser.add_argument("--pairs", type=int, default=10, help="long receipts to make")
    parser.add_argument("--config", action="append", help="RapidOCR settings NAME=VALUE,... (repeatable; '' = defaults)")
    args = parser.parse_args()
    if not (args.dataset / "manifest.jsonl").exists():
        print(f"no dataset at {args.dataset}; nothing to measure")
        return

    import os

    from extraction.ocr.rapid import RapidOcrEngine
    from extraction.settings import load_settings
    from extraction.settings.rapidocr import RapidOcrSettings

    configs = args.config if args.config is not None else list(DEFAULT_CONFIGS)
    engines = {}
    for text in configs:
        environ = {**{k: v for k, v in os.environ.items() if not k.startswith("RAPIDOCR_")}, **parse_config(text)}
        engines[text or "defaults"] = RapidOcrEngine(settings=load_settings(RapidOcrSettings, environ))
    made = pairs(args.dataset, args.half, args.pairs)
    print(f"{len(made)} long receipts from the {args.half} half of {args.dataset.name}; "
          f"median size {statistics.median(p.width for p, *_ in made):.0f} x {statistics.median(p.height for p, *_ in made):.0f} px")
    for engine in engines.values():
        engine.recognize(made[0][1].resize((400, 800)))  # first-run allocations

    long_s = {name: [] for name in engines}
    single_s = {name: [] for name in engines}
    long_f1 = {name: [] for name in engines}
    single_f1 = {name: [] for name in engines}
    for index, (page, top, bottom, truth) in enumerate(made):
        names = list(engines) if index % 2 == 0 else list(engines)[::-1]  # interleaved, alternating order
        for name in names:
            engine = engines[name]
            started = time.perf_counter()
            lines = engine.recognize(page)
            long_s[name].append(time.perf_counter() - started)
            long_f1[name].append(word_f1(words(line.text for line in lines), truth[0] + truth[1]))
            halves = []
            for image, expected in ((top, truth[0]), (bottom, truth[1])):
                started = time.perf_counter()
                found = engine.recognize(image)
                halves.append(time.perf_counter() - started)
                single_f1[name].append(word_f1(words(line.text for line in found), expected))
            single_s[name].append(statistics.mean(halves))

    print("\n| configuration | long s (median) | one receipt s (median) | long / one | word F1 long | word F1 halves |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in engines:
        ratios = [a / b for a, b in zip(long_s[name], single_s[name])]
        print(
            f"| {name} | {statistics.median(long_s[name]):.2f} | {statistics.median(single_s[name]):.2f} | "
            f"{statistics.median(ratios):.2f} | {statistics.mean(long_f1[name]):.3f} | {statistics.mean(single_f1[name]):.3f} |"
        )


if __name__ == "__main__":
    main()
