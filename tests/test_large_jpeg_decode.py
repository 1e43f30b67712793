"""A very large JPEG is decoded at a reduced scale (OCR never reads more than 2000 px of it),
and the page's correction says so: its transform maps the received image onto the page."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from extraction.documents import PageImage, load_document
from extraction.pageprep.preparer import PagePreparer
from extraction.settings.limits import Limits
from extraction.settings.pageprep import PagePrepSettings


def _image(width: int, height: int, fmt: str = "JPEG", orientation: int | None = None) -> bytes:
    pixels = np.full((height, width, 3), 255, np.uint8)
    pixels[: height // 4, : width // 4] = 0  # a dark block, top left
    buffer = io.BytesIO()
    extra = {}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        extra["exif"] = exif.tobytes()
    Image.fromarray(pixels).save(buffer, fmt, **extra)
    return buffer.getvalue()


def _limits(side: int) -> Limits:
    return Limits.from_env({"MAX_DECODED_SIDE": str(side)})


def test_a_jpeg_twice_the_side_is_decoded_at_half_scale():
    page = load_document(_image(1200, 800), limits=_limits(400)).pages[0]  # 1/4 would be under 400
    assert page.image.size == (600, 400) and page.decoded_scale == 0.5
    quarter = load_document(_image(1200, 800), limits=_limits(300)).pages[0]
    assert quarter.image.size == (300, 200) and quarter.decoded_scale == 0.25
    pixels = np.asarray(page.image)
    assert pixels[:50, :50].mean() < 60 and pixels[-50:, -50:].mean() > 200  # the same picture, smaller


def test_a_jpeg_under_twice_the_side_and_other_formats_are_decoded_in_full():
    under = load_document(_image(1200, 800), limits=_limits(700)).pages[0]
    assert under.image.size == (1200, 800) and under.decoded_scale == 1.0
    png = load_document(_image(1200, 800, "PNG"), limits=_limits(400)).pages[0]
    assert png.image.size == (1200, 800) and png.decoded_scale == 1.0


def test_a_reduced_jpeg_is_still_turned_by_its_exif_orientation():
    page = load_document(_image(1200, 800, orientation=6), limits=_limits(400)).pages[0]
    assert page.image.size == (400, 600) and page.decoded_scale == 0.5


def _correction(enabled: bool, scale: float):
    preparer = PagePreparer(PagePrepSettings(enabled=enabled))
    image = Image.new("RGB", (600, 400), "white")
    return preparer.read(PageImage(number=1, image=image, decoded_scale=scale), lambda page: []).correction


def test_the_correction_maps_the_received_image_onto_the_decoded_page():
    for enabled in (True, False):
        correction = _correction(enabled, 0.5)
        assert (correction.width, correction.height) == (600, 400)
        matrix = np.array(correction.transform)
        corner = matrix @ np.array([1200.0, 800.0, 1.0])
        np.testing.assert_allclose(corner[:2] / corner[2], [600.0, 400.0])
        assert _correction(enabled, 1.0).transform is None  # a page decoded in full, not turned: no transform
