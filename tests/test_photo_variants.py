"""The photo benchmark's variants stay within what the service accepts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def _benchmark():
    spec = importlib.util.spec_from_file_location("photo_variants", ROOT / "benchmarks" / "photo_variants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dataset(tmp_path: Path, size: tuple[int, int]) -> Path:
    folder = tmp_path / "set"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", size, (250, 250, 250)).save(folder / "images" / "a.png")
    row = {"id": "a", "file": "images/a.png", "fields": {"total": "1.00"}}
    (folder / "manifest.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    return folder


def test_a_variant_over_the_pixel_limit_is_scaled_down_to_it(tmp_path):
    bench = _benchmark()
    dataset = _dataset(tmp_path, (300, 400))  # 120 000 pixels
    limit = 125_000  # the page itself fits; tilted onto a larger canvas it would not
    folders = bench.make_variants(dataset, ["upright", "skew-5"], tmp_path / "out", 0, None, None, max_pixels=limit)
    with Image.open(folders["skew-5"] / "images" / "a.png") as tilted:
        assert tilted.width * tilted.height <= limit
        assert tilted.width > 300 * 0.95  # scaled down only as far as needed, shape kept
    with Image.open(folders["upright"] / "images" / "a.png") as upright:
        assert upright.size == (300, 400)


def test_without_a_limit_the_tilted_canvas_grows(tmp_path):
    bench = _benchmark()
    dataset = _dataset(tmp_path, (300, 400))
    folders = bench.make_variants(dataset, ["skew-5"], tmp_path / "out", 0, None, None, max_pixels=None)
    with Image.open(folders["skew-5"] / "images" / "a.png") as tilted:
        assert tilted.width * tilted.height > 300 * 400


def test_fit_pixels_leaves_a_small_image_alone():
    bench = _benchmark()
    image = Image.new("RGB", (50, 80))
    assert bench.fit_pixels(image, 10_000) is image
    shrunk = bench.fit_pixels(Image.new("RGB", (200, 100)), 5_000)
    assert shrunk.width * shrunk.height <= 5_000 and abs(shrunk.width / shrunk.height - 2.0) < 0.05


def test_a_variant_over_the_size_limit_is_written_as_jpeg(tmp_path):
    bench = _benchmark()
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    data, suffix = bench.encoded(noisy, max_bytes=20_000)
    assert suffix == "jpg" and data[:2] == b"\xff\xd8"
    data, suffix = bench.encoded(noisy, max_bytes=None)
    assert suffix == "png"


def test_the_calibration_table_counts_confident_errors():
    calibration = [
        {"bucket": "[0, 0.5)", "count": 4, "correct": 1, "accuracy": 0.25},
        {"bucket": "[0.5, 0.8)", "count": 0, "correct": 0, "accuracy": None},
        {"bucket": "[0.8, 0.95)", "count": 10, "correct": 7, "accuracy": 0.7},
        {"bucket": "[0.95, 1]", "count": 20, "correct": 19, "accuracy": 0.95},
    ]
    lines = _benchmark().calibration_table({"rot90": {"calibration": calibration}}).splitlines()
    assert lines[2] == "| rot90 | 4, 25% | 0 | 10, 70% | 20, 95% | 4 |"


def test_the_resampling_control_is_upright_and_resampled():
    """``resampled5``: same size and the ink where it was (not tilted), yet not the same pixels."""
    import numpy as np
    from PIL import ImageDraw

    bench = _benchmark()
    image = Image.new("RGB", (240, 160), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((40, 70, 200, 78), fill=(0, 0, 0))  # a level bar of ink
    control = bench.VARIANTS["resampled5"](image, np.random.default_rng(0))
    tilted = bench.VARIANTS["skew5"](image, np.random.default_rng(0))
    assert control.size == image.size and tilted.size != image.size
    ink = np.asarray(control.convert("L")) < 128
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows.min() >= 68 and rows.max() <= 80  # still level, still in place
    original = np.asarray(image.convert("L"), dtype=np.int16)
    assert np.abs(np.asarray(control.convert("L"), dtype=np.int16) - original).max() > 30  # edges resampled
