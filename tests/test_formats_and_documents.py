"""Format detection and page loading for every supported format, and their failure modes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.documents import PageImage, load_document, to_rgb
from extraction.errors import DocumentError, ErrorCode
from extraction.formats import sniff_format
from extraction.layout import PageText
from tests.support.pdfs import encrypted_copy

LIMITS = Limits()


def _image(fmt: str, size=(120, 80), mode="RGB", **save_args) -> bytes:
    image = Image.new(mode, size, "white" if mode in ("RGB", "L") else 0)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "fmt, expected",
    [("JPEG", "jpeg"), ("PNG", "png"), ("TIFF", "tiff"), ("WEBP", "webp"), ("BMP", "bmp"), ("GIF", "gif")],
)
def test_each_image_format_is_sniffed_and_loaded(fmt, expected):
    data = _image(fmt)
    assert sniff_format(data) == expected
    loaded = load_document(data, limits=LIMITS)
    assert loaded.format == expected
    assert [type(p) for p in loaded.pages] == [PageImage]
    assert loaded.pages[0].image.mode == "RGB"
    assert loaded.pages[0].image.size == (120, 80)


def test_format_comes_from_bytes_not_name(invoice_pdf):
    assert sniff_format(invoice_pdf) == "pdf"
    assert sniff_format(b"junk" * 10 + invoice_pdf[:200]) == "pdf"  # header within the first KiB
    assert sniff_format(b"hello world, not a document") is None


def test_multipage_tiff_gives_every_page_and_respects_selection():
    frames = [Image.new("RGB", (60 + 10 * i, 40), "white") for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    loaded = load_document(buffer.getvalue(), limits=LIMITS)
    assert loaded.page_count == 3
    assert [p.image.size[0] for p in loaded.pages] == [60, 70, 80]
    selected = load_document(buffer.getvalue(), limits=LIMITS, pages=[2])
    assert [p.number for p in selected.pages] == [2]


def test_gif_uses_first_frame():
    first = Image.new("P", (30, 20), 1)
    second = Image.new("P", (30, 20), 2)
    buffer = io.BytesIO()
    first.save(buffer, format="GIF", save_all=True, append_images=[second])
    loaded = load_document(buffer.getvalue(), limits=LIMITS)
    assert len(loaded.pages) == 1 and loaded.page_count == 1


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (200, 100), "white")
    image.paste((0, 0, 0), (0, 0, 20, 20))  # a black mark top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    page = load_document(buffer.getvalue(), limits=LIMITS).pages[0]
    assert page.image.size == (100, 200)
    # After a 90° clockwise turn the mark sits top-right.
    assert page.image.getpixel((95, 5))[0] < 60
    assert page.image.getpixel((5, 5))[0] > 200


def test_text_pdf_page_uses_text_layer_and_scanned_page_goes_to_ocr(receipt_image):
    data = samplegen.write_pdf([samplegen.invoice_page(), receipt_image])
    loaded = load_document(data, limits=LIMITS, dpi=100)
    assert loaded.page_count == 2
    text_page, scanned = loaded.pages
    assert isinstance(text_page, PageText) and text_page.source == "text_layer"
    assert "INV-2024-0042" in text_page.text
    assert isinstance(scanned, PageImage) and scanned.number == 2
    # 100 dpi on A4 (595 x 842 pt)
    assert abs(scanned.image.size[0] - 595 * 100 / 72) <= 1
    # Text-layer boxes are in the same pixel space as the rendered page.
    word = next(w for w in text_page.words if w.text == "INV-2024-0042")
    assert 0 < word.bbox[0] < word.bbox[2] <= text_page.width
    assert abs(word.bbox[0] - 450 * 100 / 72) < 3


def test_text_layer_lines_split_into_columns(invoice_pdf):
    page = load_document(invoice_pdf, limits=LIMITS).pages[0]
    texts = [line.text for line in page.lines]
    assert "Invoice No:" in texts and "INV-2024-0042" in texts  # label and value are separate columns
    assert "Toner cartridge black" in texts


@pytest.mark.parametrize("mode", ["CMYK", "I;16", "LA", "1", "L", "RGBA"])
def test_unusual_image_modes_become_rgb(mode):
    image = Image.new(mode, (10, 10))
    assert to_rgb(image).mode == "RGB"


def test_palette_with_transparency_is_flattened_on_white():
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 0] * 256)
    image.info["transparency"] = 0
    assert to_rgb(image).getpixel((5, 5)) == (255, 255, 255)


def test_sixteen_bit_image_is_rescaled():
    image = Image.new("I;16", (4, 1))
    image.putdata([0, 1000, 2000, 4000])
    rgb = to_rgb(image)
    assert rgb.getpixel((0, 0)) == (0, 0, 0) and rgb.getpixel((3, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", ErrorCode.EMPTY_DOCUMENT),
        (b"plain text is not a document", ErrorCode.UNSUPPORTED_FORMAT),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, ErrorCode.CORRUPT_DOCUMENT),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF", ErrorCode.CORRUPT_DOCUMENT),
    ],
)
def test_bad_bytes_give_structured_errors(data, code):
    with pytest.raises(DocumentError) as info:
        load_document(data, limits=LIMITS)
    assert info.value.code == code


def test_truncated_jpeg_is_corrupt():
    data = _image("JPEG", size=(400, 400))
    with pytest.raises(DocumentError) as info:
        load_document(data[: len(data) // 3], limits=LIMITS)
    assert info.value.code == ErrorCode.CORRUPT_DOCUMENT


@pytest.fixture(scope="module")
def encrypted_invoice() -> bytes:
    return encrypted_copy(samplegen.write_pdf([samplegen.invoice_page()]), "s3cret")


@pytest.mark.parametrize("password", [None, "wrong"])
def test_encrypted_pdf_needs_the_password(encrypted_invoice, password):
    with pytest.raises(DocumentError) as info:
        load_document(encrypted_invoice, limits=LIMITS, password=password)
    assert info.value.code == ErrorCode.ENCRYPTED_PDF
    assert "s3cret" not in info.value.message


def test_encrypted_pdf_opens_with_its_password(encrypted_invoice):
    loaded = load_document(encrypted_invoice, limits=LIMITS, password="s3cret")
    assert "INV-2024-0042" in loaded.pages[0].text


def test_page_limit_and_selection(invoice_pdf):
    three = samplegen.write_pdf([samplegen.invoice_page()] * 3)
    with pytest.raises(DocumentError) as info:
        load_document(three, limits=Limits(max_pages=2))
    assert info.value.code == ErrorCode.TOO_MANY_PAGES
    assert [p.number for p in load_document(three, limits=Limits(max_pages=2), pages=[1, 3]).pages] == [1, 3]
    with pytest.raises(DocumentError) as info:
        load_document(three, limits=LIMITS, pages=[4])
    assert info.value.code == ErrorCode.INVALID_INPUT


def test_pixel_limit_on_images_and_pdf_rendering(receipt_image):
    with pytest.raises(DocumentError) as info:
        load_document(_image("PNG", size=(3000, 3000)), limits=Limits(max_page_pixels=1_000_000))
    assert info.value.code == ErrorCode.TOO_MANY_PIXELS
    scanned = samplegen.write_pdf([receipt_image])
    loaded = load_document(scanned, limits=Limits(max_page_pixels=500_000), dpi=300)
    width, height = loaded.pages[0].image.size
    assert width * height <= 500_000 * 1.01
    assert any("pixel limit" in w for w in loaded.warnings)


def test_byte_limit():
    with pytest.raises(DocumentError) as info:
        load_document(_image("PNG", size=(300, 300)), limits=Limits(max_document_bytes=100))
    assert info.value.code == ErrorCode.TOO_LARGE
