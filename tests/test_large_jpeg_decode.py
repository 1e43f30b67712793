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


def _limits_pixels(pixels: int) -> Limits:
    return Limits.from_env({"MAX_PAGE_PIXELS": str(pixels)})


def test_a_jpeg_over_the_pixel_limit_is_decoded_small_enough_instead_of_refused():
    # 1200 x 800 = 960 000 px against a limit of 300 000: at 1/2 it is 240 000 (a 48 MP phone photo
    # against the default 40 MP limit is the same case)
    page = load_document(_image(1200, 800), limits=_limits_pixels(300_000)).pages[0]
    assert page.image.size == (600, 400) and page.decoded_scale == 0.5
    quarter = load_document(_image(1200, 800), limits=_limits_pixels(100_000)).pages[0]
    assert quarter.image.size == (300, 200) and quarter.decoded_scale == 0.25


def test_other_formats_and_jpegs_that_no_reduction_fits_are_still_refused():
    import pytest

    from extraction.errors import DocumentError

    with pytest.raises(DocumentError) as png:
        load_document(_image(1200, 800, "PNG"), limits=_limits_pixels(300_000))
    assert png.value.code == "too_many_pixels"
    with pytest.raises(DocumentError) as jpeg:  # 1/8 is 150 x 100 = 15 000 px, still over 10 000
        load_document(_image(1200, 800), limits=_limits_pixels(10_000))
    assert jpeg.value.code == "too_many_pixels"
