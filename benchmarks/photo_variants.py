"""Robustness to photos as people take them: variants of a labelled set, scored by the harness.

    python benchmarks/photo_variants.py ../shared/datasets/sroie-dev --limit 30
    python benchmarks/photo_variants.py DATASET --start 60 --stop 120 --variants upright,rot90,skew
    PAGE_PREP=false python benchmarks/photo_variants.py DATASET --limit 30     # without page preparation

From any labelled set (a folder with ``manifest.jsonl`` whose documents are images), every
selected document is turned into variants (rotated by 90/180/270 degrees without EXIF,
tilted by 3-5 degrees, photographed at an angle on a table, half resolution (alone, and with
JPEG quality 35), heavy JPEG artefacts, a shadow, blurred and darker; and two controls,
``resampled5`` and ``resampled-3``: tilted and back, upright but resampled as the tilted copies
are), written with a manifest of
the same labels into a temporary folder, and scored with ``python -m extraction.evaluate``'s
own code (same pipeline, same scoring). It prints two tables: per variant, the F1 of every
field, the mean, and seconds per page (wall clock per document, and the page preparation's
share); and per variant, the fields in each confidence bucket and the share of them that were
right, with the count of wrong fields given 0.8 or more (confident errors). Variants are made
deterministically (same documents, same pictures on every run), so runs before and after a
change compare like with like.

A variant never exceeds the service's page-pixel limit (``MAX_PAGE_PIXELS``, 40 MP): tilting
a 35-megapixel scan onto a larger canvas, or laying it on a table, would otherwise push it over
and the service would refuse it (``too_many_pixels``), so the table would score the limit and
not the preparation. Such a variant is scaled down to the limit, as a camera's frame would hold
it; and one whose lossless PNG is over the document size limit (``MAX_DOCUMENT_BYTES``: a noisy
40 MP photo on a table) is written as JPEG quality 95, as a phone sends it (``--no-fit`` keeps
both as made).

``--limit N`` takes N documents evenly spread over ``--start``..``--stop`` of the manifest
(so that a set ordered by layout keeps every layout).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Callable, Optional

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

Variant = Callable[[Image.Image, np.random.Generator], Image.Image]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")


def _rotate(clockwise: int) -> Variant:
    method = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}[clockwise]
    return lambda image, rng: image.transpose(method)


def _skew(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Tilted by 3 to 5 degrees, either way, on white."""
    angle = float(rng.uniform(3.0, 5.0)) * (1 if rng.random() < 0.5 else -1)
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))


def _tilt(angle: float) -> Variant:
    """Tilted by ``angle`` degrees (counter-clockwise), on white."""
    return lambda image, rng: image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))


def _tilted_and_back(angle: float) -> Variant:
    """Tilted by ``angle`` degrees and back again, cut to the original size: upright, but made of
    the resampled pixels a tilted copy is made of. A control: what a tilted variant loses beyond
    this one is the tilt's cost, the rest is the synthetic resampling's (a photo taken at a tilt
    has its own optics but is not interpolated twice)."""

    def variant(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        there = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
        back = there.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
        left, top = (back.width - image.width) // 2, (back.height - image.height) // 2
        return back.crop((left, top, left + image.width, top + image.height))

    return variant


def _perspective(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Photographed at an angle on a darker table: the far edge shorter, a slight turn."""
    import cv2

    width, height = image.size
    margin = int(0.08 * max(width, height))
    squeeze = float(rng.uniform(0.08, 0.14)) * width  # the far (top) edge is shorter
    tilt = float(rng.uniform(-0.03, 0.03)) * height
    source = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    target = np.float32(
        [
            [margin + squeeze, margin + tilt],
            [margin + width - squeeze, margin - tilt],
            [margin + width, margin + height],
            [margin, margin + height],
        ]
    )
    matrix = cv2.getPerspectiveTransform(source, target)
    size = (width + 2 * margin, height + 2 * margin)
    table = tuple(int(v) for v in rng.integers(60, 110, size=3))
    warped = cv2.warpPerspective(np.asarray(image.convert("RGB")), matrix, size, flags=cv2.INTER_CUBIC, borderValue=table)
    noise = rng.normal(0.0, 6.0, warped.shape[:2])[..., None]
    return Image.fromarray(np.clip(warped.astype(np.float32) + noise, 0, 255).astype(np.uint8))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _half(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.LANCZOS)


def _half_q35(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _jpeg(_half(image, rng), 35)


def _shadow(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A soft shadow across one side (a hand or a phone between the lamp and the paper)."""
    width, height = image.size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = float(rng.uniform(0, 2 * np.pi))
    along = (xs - width / 2) * np.cos(angle) + (ys - height / 2) * np.sin(angle)
    along /= max(np.abs(along).max(), 1.0)
    darkest = float(rng.uniform(0.35, 0.5))
    light = darkest + (1.0 - darkest) / (1.0 + np.exp(-8.0 * (along - float(rng.uniform(-0.2, 0.2)))))
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32) * light[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _blur_dark(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    blurred = image.convert("RGB").filter(ImageFilter.GaussianBlur(radius=1.2))
    pixels = np.asarray(blurred, dtype=np.float32) * 0.7 + 10.0
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


VARIANTS: dict[str, Variant] = {
    "upright": lambda image, rng: image,
    "rot90": _rotate(90),
    "rot180": _rotate(180),
    "rot270": _rotate(270),
    "skew": _skew,
    "skew1.5": _tilt(1.5),  # small tilts: where PAGE_MIN_SKEW_DEG was chosen
    "skew-2": _tilt(-2.0),
    "skew3": _tilt(3.0),
    "skew-3": _tilt(-3.0),
    "skew5": _tilt(5.0),
    "skew-5": _tilt(-5.0),
    "resampled5": _tilted_and_back(5.0),  # controls: upright, resampled as skew5 / skew-3 are
    "resampled-3": _tilted_and_back(-3.0),
    "perspective": _perspective,
    "half": _half,
    "half_q35": _half_q35,
    "jpeg_q35": lambda image, rng: _jpeg(image, 35),
    "jpeg_q20": lambda image, rng: _jpeg(image, 20),
    "shadow": _shadow,
    "blur_dark": _blur_dark,
}


def fit_pixels(image: Image.Image, max_pixels: int) -> Image.Image:
    """``image`` scaled down (keeping its shape) so that it has at most ``max_pixels`` pixels."""
    pixels = image.width * image.height
    if pixels <= max_pixels:
        return image
    factor = (max_pixels / pixels) ** 0.5
    size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def encoded(image: Image.Image, max_bytes: Optional[int]) -> tuple[bytes, str]:
    """The variant's file: lossless PNG, or JPEG quality 95 (as a phone sends it) when the PNG
    is over the service's document size limit (a noisy 40 MP photo on a table is)."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    if max_bytes is None or buffer.tell() <= max_bytes:
        return buffer.getvalue(), "png"
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue(), "jpg"


def document_byte_limit() -> int:
    """The service's document size limit, as configured (``MAX_DOCUMENT_BYTES``)."""
    from extraction.settings.base import load_settings
    from extraction.settings.limits import Limits

    return int(load_settings(Limits).max_document_bytes)


def page_pixel_limit() -> int:
    """The service's page-pixel limit, as configured (``MAX_PAGE_PIXELS``)."""
    from extraction.settings.base import load_settings
    from extraction.settings.limits import Limits

    return int(load_settings(Limits).max_page_pixels)


def select(entries: list[dict], start: int, stop: Optional[int], limit: Optional[int]) -> list[dict]:
    """Image documents in ``start``..``stop``; ``limit`` of them, evenly spread."""
    chosen = [e for e in entries[start:stop] if str(e.get("file", "")).lower().endswith(IMAGE_SUFFIXES)]
    if limit is not None and limit < len(chosen):
        chosen = [chosen[int(i)] for i in np.linspace(0, len(chosen) - 1, limit).round()]
    return chosen


def make_variants(
    dataset: Path,
    names: list[str],
    out: Path,
    start: int,
    stop: Optional[int],
    limit: Optional[int],
    max_pixels: Optional[int] = None,
    max_bytes: Optional[int] = None,
) -> dict[str, Path]:
    """One folder per variant under ``out``, each with its images and ``manifest.jsonl``;
    variants over ``max_pixels`` are scaled down to it, and written as JPEG when their PNG is over
    ``max_bytes`` (None: kept as made)."""
    entries = [json.loads(line) for line in (dataset / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = select(entries, start, stop, limit)
    folders = {}
    for name in names:
        folder = out / f"{dataset.name}-{name}"
        (folder / "images").mkdir(parents=True, exist_ok=True)
        rows = []
        for index, entry in enumerate(chosen):
            rng = np.random.default_rng([index, zlib.crc32(name.encode())])  # the same picture on every run
            with Image.open(dataset / entry["file"]) as source:
                image = VARIANTS[name](source.convert("RGB"), rng)
            if max_pixels is not None and name != "upright":  # the labelled page itself is never touched
                image = fit_pixels(image, max_pixels)
            # Lossless, so that "upright" is the labelled set's own pixels and a page turned
            # back by a quarter turn is pixel for pixel the upright one: the scores then differ
            # only by what the preparation did (and the OCR cache replays the upright reading).
            data, suffix = encoded(image, max_bytes if name != "upright" else None)
            file = f"images/{entry['id']}.{suffix}"
            (folder / file).write_bytes(data)
            rows.append(json.dumps({"id": entry["id"], "file": file, "fields": entry["fields"]}, ensure_ascii=False))
        (folder / "manifest.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
        folders[name] = folder
    return folders


def score(folders: dict[str, Path], workers: Optional[int], ocr_cache: Optional[str], errors: Optional[Path] = None) -> dict[str, dict]:
    """Every variant folder scored in one harness run (engines load once per worker); with
    ``errors``, the harness's error rows (wrong, missing, spurious fields with nearby OCR text)
    are written there, one JSON line each, tagged with their variant."""
    from extraction.evaluate.cli import evaluate, parse_args
    from extraction.evaluate.report import write_errors

    argv = [str(folder) for folder in folders.values()] + ["--no-progress"]
    if workers:
        argv += ["--workers", str(workers)]
    if ocr_cache:
        argv += ["--ocr-cache", ocr_cache]
    if errors is not None:
        argv += ["--errors", str(errors)]  # asks the harness for the OCR lines near each error
    report, error_rows = evaluate(parse_args(argv))
    by_path = {run["path"]: run for run in report["runs"].values()}
    if errors is not None:
        variant_of = {key: name for name, folder in folders.items() for key, run in report["runs"].items() if run["path"] == str(folder)}
        for row in error_rows:
            row["variant"] = variant_of.get(row.get("run"))
        write_errors(errors, error_rows)
    return {name: by_path[str(folder)] for name, folder in folders.items()}


def table(runs: dict[str, dict], title: str) -> str:
    fields = [name for name in next(iter(runs.values()))["fields"] if name != "line_items"]
    head = ["variant", *fields, "mean F1", "s/page", "prep ms/page"]
    rows = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, run in runs.items():
        f1 = [run["fields"][field].get("f1") for field in fields]
        prep = run.get("latency_ms", {}).get("page_prep", {}).get("mean")
        cells = [name, *[f"{v:.3f}" if v is not None else "-" for v in f1]]
        mean = run["mean"].get("f1")
        cells += [f"{mean:.3f}" if mean is not None else "-", f"{run.get('seconds_per_document') or 0:.2f}", f"{prep:.0f}" if prep is not None else "-"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


#: a field given at least this confidence that is wrong counts as a confident error
CONFIDENT = 0.8


def calibration_table(runs: dict[str, dict]) -> str:
    """Per variant, how many fields came back in each confidence bucket and how many of those
    were right: a degraded page must say so with lower confidence, not return confident errors."""
    from extraction.evaluate.scoring import BUCKETS

    buckets = [row["bucket"] for row in next(iter(runs.values()))["calibration"]]
    head = ["variant", *[f"{bucket}: fields, right" for bucket in buckets], f"wrong at {CONFIDENT:g} or more"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    for name, run in runs.items():
        cells = [name]
        for row in run["calibration"]:
            cells.append(f"{row['count']}, {row['accuracy']:.0%}" if row["count"] else "0")
        confident = [row for (low, _), row in zip(BUCKETS, run["calibration"]) if low >= CONFIDENT]
        cells.append(str(sum(row["count"] - row["correct"] for row in confident)))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", type=Path, help="labelled folders (manifest.jsonl with image files)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from: {', '.join(VARIANTS)}")
    parser.add_argument("--start", type=int, default=0, help="first manifest entry considered (0-based)")
    parser.add_argument("--stop", type=int, default=None, help="entry after the last one considered")
    parser.add_argument("--limit", type=int, default=None, help="documents per dataset, evenly spread over start..stop")
    parser.add_argument("--workers", type=int, default=None, help="harness worker processes (default: all cores)")
    parser.add_argument("--ocr-cache", default=None, help="the harness's OCR cache folder (keyed by pixels and settings)")
    parser.add_argument("--keep", type=Path, default=None, help="write the variants here and keep them (default: a temporary folder)")
    parser.add_argument("--no-fit", action="store_true", help="keep variants over the page-pixel limit as made (the service refuses them)")
    parser.add_argument("--out", type=Path, default=None, help="also write the scores as JSON here")
    parser.add_argument("--errors", type=Path, default=None, help="write the wrong/missing fields here (JSON lines with nearby OCR text and the variant); "
                        "with several datasets, one file each: NAME-DATASET.jsonl")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="photo-variants-"))
    results: dict[str, dict] = {}
    try:
        for dataset in args.datasets:
            max_pixels, max_bytes = (None, None) if args.no_fit else (page_pixel_limit(), document_byte_limit())
            folders = make_variants(dataset, names, work, args.start, args.stop, args.limit, max_pixels, max_bytes)
            errors = None
            if args.errors is not None:
                errors = args.errors if len(args.datasets) == 1 else args.errors.with_name(f"{args.errors.stem}-{dataset.name}{args.errors.suffix}")
            runs = score(folders, args.workers, args.ocr_cache, errors)
            documents = next(iter(runs.values()))["documents"]
            print(table(runs, f"{dataset.name}: {documents} documents (entries {args.start}..{args.stop or 'end'}, limit {args.limit})"))
            print()
            print(calibration_table(runs))
            print()
            results[dataset.name] = {
                name: {"fields": {k: v.get("f1") for k, v in run["fields"].items()}, "mean_f1": run["mean"].get("f1"),
                       "seconds_per_document": run.get("seconds_per_document"), "latency_ms": run.get("latency_ms"),
                       "calibration": run.get("calibration")}
                for name, run in runs.items()
            }
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
