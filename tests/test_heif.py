"""HEIC/HEIF photos (iPhones) and AVIF images: detected from their bytes, oriented, extracted."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.documents import load_document
from extraction.errors import DocumentError, ErrorCode
from extraction.formats import sniff_format

pillow_heif = pytest.importorskip("pillow_heif")
pillow_heif.register_heif_opener()  # to write test files; the loader registers it on its own

LIMITS = Limits()
ORIENTATION = 0x0112


def _encoded(image: Image.Image, fmt: str, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    extra = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        extra["exif"] = exif.tobytes()
    image.save(buffer, format=fmt, quality=92, **extra)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt, expected", [("HEIF", "heif"), ("AVIF", "avif")])
def test_heif_and_avif_are_sniffed_and_loaded(fmt, expected):
    if fmt == "AVIF":
        from PIL import features

        if not features.check("avif"):
            pytest.skip("this Pillow has no AVIF codec")
    data = _encoded(Image.new("RGB", (120, 80), "white"), fmt)
    assert sniff_format(data) == expected
    loaded = load_document(data, limits=LIMITS)
    assert loaded.format == expected and loaded.pages[0].image.size == (120, 80) and loaded.pages[0].image.mode == "RGB"


def test_other_iso_media_files_are_not_taken_for_images():
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    assert sniff_format(mp4) is None
    with pytest.raises(DocumentError) as error:
        load_document(mp4, limits=LIMITS)
    assert error.value.code == ErrorCode.UNSUPPORTED_FORMAT


def test_a_damaged_heic_is_a_corrupt_document(receipt_image):
    data = _encoded(receipt_image, "HEIF")
    with pytest.raises(DocumentError) as error:
        load_document(data[: len(data) // 3], limits=LIMITS)
    assert error.value.code == ErrorCode.CORRUPT_DOCUMENT


def test_heic_exif_orientation_is_applied_like_a_jpeg(receipt_image):
    sideways = receipt_image.transpose(Image.Transpose.ROTATE_90)  # stored turned, EXIF says "turn 90° clockwise"
    for fmt in ("HEIF", "JPEG"):
        page = load_document(_encoded(sideways, fmt, orientation=6), limits=LIMITS).pages[0].image
        assert page.size == receipt_image.size, fmt


@pytest.fixture(scope="module")
def cpu_pipeline():
    from extraction.pipeline import Pipeline

    return Pipeline.from_env(ocr="rapidocr", extractor="rules")


def test_a_heic_photo_extracts_like_the_same_jpeg(cpu_pipeline, receipt_image):
    results = {fmt: cpu_pipeline.extract_bytes(_encoded(receipt_image, fmt), doc_id=fmt) for fmt in ("HEIF", "JPEG")}
    values = {fmt: {name: field.value for name, field in result.fields.items() if field} for fmt, result in results.items()}
    assert results["HEIF"].status == "ok", results["HEIF"].error
    assert values["HEIF"] == values["JPEG"]
    assert values["HEIF"]["total"] == samplegen.RECEIPT_VALUES["total"]
