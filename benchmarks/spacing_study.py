"""How well the ink decides the space after a comma or colon: ``python benchmarks/spacing_study.py``.

Two sources of lines whose true spacing is known:

- ``../shared/datasets/sroie-dev`` (when present): RapidOCR reads each receipt with character
  boxes, and the lines whose text equals a dataset transcript once spaces are ignored are kept;
  the transcript gives the printed spaces.
- synthetic lines (addresses, ids and dates of several countries, each printed with and without
  the space after its commas and colons) in Pillow's built-in font and in the DejaVu fonts when
  the system has them, at two sizes: other fonts than the receipts', to check that the rule
  carries over.

At every boundary after a comma or colon (not between two digits) it compares the recogniser's
space and the rule of ``extraction.ocr.spacing`` with the truth, for the rule's thresholds and a
grid around them; for sroie-dev it also picks thresholds on half of the receipts and scores them
on the other half. Prints counts of wrong boundaries.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "sroie-dev"
GLUED_GRID = (0.3, 0.35, 0.4, 0.45, 0.5)
SPACED_GRID = (0.5, 0.55, 0.6, 0.7, 0.8)
SYNTHETIC_LINES = (
    "Hauptstrasse 12, 20095 Hamburg",
    "Kalverstraat 10, 1012 PX Amsterdam",
    "Via Roma 5, 00184 Roma",
    "Calle Mayor 3, 28013 Madrid",
    "12 Rue de la Paix, 75002 Paris",
    "Rua Augusta 100, 1100-053 Lisboa",
    "221B Baker Street, London NW1 6XE",
    "11302 Euclid Avenue, Cleveland, OH 44106",
    "Tel: 020 7946 0018",
    "VAT No: GB123456789",
    "Invoice No: INV-2024-001",
    "Date: 14/03/2024",
    "MG Road, Bengaluru, Karnataka 560001",
    "1 Raffles Place, #01-01, Singapore 048616",
    "No. 3, Jalan Bukit Bintang, 55100 Kuala Lumpur",
    "Lot 5, Jalan Ampang, 50450 KL",
)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class Boundary:
    source: str  # receipt id, or synthetic font and size
    mark: str
    following: str
    position: Optional[float]  # the band on the line's scale (letter gap 0, word gap 1); None: no scale
    recognised_space: bool
    printed_space: bool


def decide(boundary: Boundary, glued_below: float, spaced_above: float) -> bool:
    """The rule of extraction.ocr.spacing.respace_line for one boundary."""
    if boundary.position is None:
        return boundary.recognised_space
    if boundary.position < glued_below:
        return False
    if boundary.position > spaced_above and boundary.following.isalnum():
        return True
    return boundary.recognised_space


def errors(boundaries: list[Boundary], glued_below: float, spaced_above: float) -> int:
    return sum(decide(b, glued_below, spaced_above) != b.printed_space for b in boundaries)


class Reader:
    """RapidOCR with character boxes, and the boundaries of the lines it reads."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        from extraction.ocr.rapid import params_from_env

        self.engine = RapidOCR(params={"Global.log_level": "warning", **params_from_env()})

    def lines(self, page) -> Iterator[tuple[str, object, list]]:
        import numpy as np

        from extraction.ocr.rapid import _glyphs_from_engine

        rgb = page.convert("RGB")
        result = self.engine(np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1]), return_word_box=True, return_single_char_box=True)
        boxes = result.boxes if result.boxes is not None else ()
        for text, polygon, entries in zip(result.txts or (), boxes, result.word_results or ()):
            yield str(text), polygon, _glyphs_from_engine(entries)

    @staticmethod
    def boundaries(source: str, gray, text: str, polygon, glyphs, printed: set[int]) -> list[Boundary]:
        from extraction.ocr.spacing import measure_gaps, split_spaces

        letters, recognised = split_spaces(text)
        gaps = measure_gaps(gray, polygon, letters, recognised, glyphs)
        if gaps is None:
            return []
        return [
            Boundary(source, letters[i - 1], letters[i], gaps.scaled(i), i in recognised, i in printed)
            for i in gaps.after_marks
        ]


def sroie_boundaries(reader: Reader, dataset: Path, limit: Optional[int]) -> list[Boundary]:
    from PIL import Image, ImageOps

    from extraction.evaluate.manifest import read_ocr_boxes
    from extraction.ocr.spacing import split_spaces

    images = sorted((dataset / "images").glob("*.jpg"))[:limit]
    found: list[Boundary] = []
    for number, image_path in enumerate(images, 1):
        printed: dict[str, set[int]] = {}
        for box in read_ocr_boxes(dataset / "boxes" / f"{image_path.stem}.txt"):
            letters, spaced = split_spaces(box.text.upper())
            printed.setdefault(letters, spaced)
        page = ImageOps.exif_transpose(Image.open(image_path))
        gray = page.convert("L")
        for text, polygon, glyphs in reader.lines(page):
            key = split_spaces(text)[0].upper()
            if key in printed:
                found += reader.boundaries(image_path.stem, gray, text, polygon, glyphs, printed[key])
        print(f"\r{number}/{len(images)} receipts", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return found


def synthetic_fonts() -> dict[str, object]:
    from PIL import ImageFont

    fonts: dict[str, object] = {"pillow": lambda size: ImageFont.load_default(size=size)}
    for name in ("DejaVuSans", "DejaVuSansMono", "DejaVuSerif", "DejaVuSansCondensed"):
        path = DEJAVU / f"{name}.ttf"
        if path.is_file():
            fonts[name] = lambda size, path=path: ImageFont.truetype(str(path), size)
    return fonts


def synthetic_boundaries(reader: Reader) -> list[Boundary]:
    from PIL import Image, ImageDraw

    from extraction.ocr.spacing import split_spaces

    printed_lines = [v for line in SYNTHETIC_LINES for v in (line, line.replace(", ", ",").replace(": ", ":"))]
    found: list[Boundary] = []
    for name, make_font in synthetic_fonts().items():
        for size in (20, 28):
            font = make_font(size)
            page = Image.new("L", (1100, 60 + int(size * 1.9) * len(printed_lines)), 255)
            draw = ImageDraw.Draw(page)
            for row, text in enumerate(printed_lines):
                draw.text((40, 30 + int(size * 1.9) * row), text, font=font, fill=0)
            expected = iter(printed_lines)
            for text, polygon, glyphs in reader.lines(page):
                for printed in expected:  # lines come back in order; skip any the detector missed
                    if split_spaces(printed)[0] == split_spaces(text)[0]:
                        found += reader.boundaries(f"{name} {size}px", page, text, polygon, glyphs, split_spaces(printed)[1])
                        break
    return found


def report(title: str, boundaries: list[Boundary]) -> None:
    from extraction.ocr.spacing import GLUED_BELOW, SPACED_ABOVE

    print(f"\n## {title}: {len(boundaries)} boundaries after a comma or colon\n")
    print("| mark | boundaries | recogniser wrong | rule wrong |")
    print("|---|---:|---:|---:|")
    for mark in sorted({b.mark for b in boundaries}):
        group = [b for b in boundaries if b.mark == mark]
        recogniser = sum(b.recognised_space != b.printed_space for b in group)
        print(f"| `{mark}` | {len(group)} | {recogniser} | {errors(group, GLUED_BELOW, SPACED_ABOVE)} |")
    print(f"\nrule wrong by threshold (the rule: below {GLUED_BELOW} glued, above {SPACED_ABOVE} spaced)\n")
    print("| glued below \\ spaced above | " + " | ".join(str(v) for v in SPACED_GRID) + " |")
    print("|---|" + "---:|" * len(SPACED_GRID))
    for glued in GLUED_GRID:
        cells = [str(errors(boundaries, glued, spaced)) if spaced >= glued else "" for spaced in SPACED_GRID]
        print(f"| {glued} | " + " | ".join(cells) + " |")


def report_halves(boundaries: list[Boundary]) -> None:
    sources = sorted({b.source for b in boundaries})
    grid = [(g, s) for g in GLUED_GRID for s in SPACED_GRID if s >= g]
    print("\nthresholds chosen on one half of the receipts, scored on the other\n")
    print("| fit on | chosen | recogniser wrong (other half) | rule wrong (other half) |")
    print("|---|---|---:|---:|")
    for name, half in (("even", set(sources[0::2])), ("odd", set(sources[1::2]))):
        fit = [b for b in boundaries if b.source in half]
        held_out = [b for b in boundaries if b.source not in half]
        chosen = min(grid, key=lambda pair: errors(fit, *pair))
        recogniser = sum(b.recognised_space != b.printed_space for b in held_out)
        print(f"| {name} | {chosen} | {recogniser} | {errors(held_out, *chosen)} |")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="folder with images/ and boxes/")
    parser.add_argument("--limit", type=int, default=None, help="only the first N receipts")
    args = parser.parse_args(argv)
    reader = Reader()
    report("synthetic lines, other fonts", synthetic_boundaries(reader))
    if (args.dataset / "images").is_dir() and (args.dataset / "boxes").is_dir():
        found = sroie_boundaries(reader, args.dataset, args.limit)
        report("sroie-dev receipts", found)
        report_halves(found)
    else:
        print(f"\nsroie-dev skipped: {args.dataset} has no images/ and boxes/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
