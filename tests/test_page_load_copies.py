"""A photo is loaded without a second full-size copy (a 35-megapixel scan is 140 MB in Pillow),
and is still turned as its EXIF orientation says."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from extraction.documents import load_document
from extraction.settings.limits import Limits


def _jpeg(orientation: int | None) -> bytes:
    pixels = np.zeros((40, 20, 3), np.uint8)
    pixels[:8, :8] = 255  # a white corner, top left
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=100, exif=exif.tobytes())
    return buffer.getvalue()


def test_an_upright_photo_is_not_copied_while_it_loads(monkeypatch):
    copies = []
    original = Image.Image.copy
    monkeypatch.setattr(Image.Image, "copy", lambda self: copies.append(self.size) or original(self))
    page = load_document(_jpeg(None), limits=Limits.from_env()).pages[0].image
    assert copies == [] and page.size == (20, 40) and page.mode == "RGB"


def test_a_photo_is_still_turned_by_its_exif_orientation():
    turned = load_document(_jpeg(3), limits=Limits.from_env()).pages[0].image  # 3: upside down
    pixels = np.asarray(turned)
    assert turned.size == (20, 40) and pixels[-4:, -4:].mean() > 200 and pixels[:4, :4].mean() < 50
    sideways = load_document(_jpeg(6), limits=Limits.from_env()).pages[0].image
    assert sideways.size == (40, 20)


def test_a_page_is_resampled_without_a_copy_of_it_and_to_the_same_pixels(monkeypatch):
    from extraction.pageprep.transform import PageTransform, apply, level_lines

    rng = np.random.default_rng(3)
    page = Image.fromarray(rng.integers(0, 255, (60, 40, 3), dtype=np.uint8))
    matrix, size = level_lines(*page.size, 2.0)
    transform = PageTransform.identity(*page.size).then(matrix, size)
    expected = np.asarray(apply(page.convert("L").convert("RGB"), transform, (255, 255, 255)))  # a non-RGB path for reference
    converted = []
    original = Image.Image.convert
    monkeypatch.setattr(Image.Image, "convert", lambda self, *a, **k: converted.append(self.mode) or original(self, *a, **k))
    out = apply(page, transform, (255, 255, 255))
    assert converted == []  # an RGB page is read as it is, not copied first
    assert out.size == size and out.mode == "RGB"
    gray_out = np.asarray(apply(page.convert("L").convert("RGB"), transform, (255, 255, 255)))
    np.testing.assert_array_equal(gray_out, expected)
