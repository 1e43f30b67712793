"""Synthetic documents with known values: the repo's samples and the test suite's fixtures.

Receipts are drawn with Pillow's built-in scalable font (the same pixels on every machine);
PDFs are written with PDFium's standard Helvetica, so they carry a real text layer. Nothing
here needs a network or a system font.
"""

from __future__ import annotations

import ctypes
import io
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Sequence

from PIL import Image, ImageDraw, ImageFont

# --------------------------------------------------------------------------- receipt image

#: The two sample documents as data: what is printed where, and the values that are their ground truth.
_SAMPLES: dict[str, Any] = json.loads(resources.files("extraction").joinpath("samplegen.json").read_text(encoding="utf-8"))

RECEIPT_VALUES: dict[str, str] = _SAMPLES["receipt"]["fields"]
RECEIPT_ITEMS: list[dict[str, str]] = _SAMPLES["receipt"]["line_items"]
INVOICE_VALUES: dict[str, str] = _SAMPLES["invoice"]["fields"]
INVOICE_ITEMS: list[dict[str, str]] = _SAMPLES["invoice"]["line_items"]


def render_receipt(scale: float = 1.0) -> Image.Image:
    """A till receipt (RGB) whose fields are :data:`RECEIPT_VALUES` and items :data:`RECEIPT_ITEMS`."""
    width = int(520 * scale)
    font = ImageFont.load_default(size=int(22 * scale))
    big = ImageFont.load_default(size=int(28 * scale))
    printed = _SAMPLES["receipt"]["print"]
    item_rows = [{"left": f"{item['quantity']} {item['description']}", "right": [item["unit_price"], item["amount"]]} for item in RECEIPT_ITEMS]
    rows: list[tuple[str, str | list[str], ImageFont.FreeTypeFont, bool]] = [
        (row.get("left", ""), row.get("right", ""), big if row.get("big") else font, bool(row.get("centred")))
        for row in [*printed["before_items"], *item_rows, *printed["after_items"]]
    ]
    line_height = int(38 * scale)
    margin = int(30 * scale)
    image = Image.new("RGB", (width, margin * 2 + line_height * len(rows)), (250, 248, 240))  # paper, not pure white
    draw = ImageDraw.Draw(image)
    y = margin
    for left, right, row_font, centred in rows:
        if left:
            x = (width - draw.textlength(left, font=row_font)) / 2 if centred else margin
            draw.text((x, y), left, fill=(20, 20, 20), font=row_font)
        # Right-hand columns: a lone value is right-aligned; (price, amount) pairs get two columns.
        columns = [right] if isinstance(right, str) else list(right)
        right_edges = [width - margin] if len(columns) == 1 else [width - margin - int(150 * scale), width - margin]
        for text, edge in zip(columns, right_edges):
            if text:
                draw.text((edge - draw.textlength(text, font=row_font), y), text, fill=(20, 20, 20), font=row_font)
        y += line_height
    return image


def image_bytes(image: Image.Image, fmt: str, **save_args) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


# --------------------------------------------------------------------------- text-layer PDFs


@dataclass
class TextItem:
    x: float  # points from the left
    y: float  # points from the top (converted to PDF's bottom-up space when written)
    text: str
    size: float = 10.0
    bold: bool = False


def write_pdf(pages: Sequence[Sequence[TextItem] | Image.Image], page_size: tuple[float, float] = (595.0, 842.0)) -> bytes:
    """A PDF whose pages are text (a real text layer, Helvetica) or a full-page image (a "scan")."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from extraction.documents import PDFIUM_LOCK

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument.new()
        try:
            width, height = page_size
            for content in pages:
                page = pdf.new_page(width, height)
                if isinstance(content, Image.Image):
                    _place_image(pdf, page, content, width, height)
                else:
                    for item in content:
                        font = "Helvetica-Bold" if item.bold else "Helvetica"
                        obj = raw.FPDFPageObj_NewTextObj(pdf.raw, font.encode("ascii"), ctypes.c_float(item.size))
                        encoded = (item.text + "\x00").encode("utf-16-le")
                        buffer = ctypes.create_string_buffer(encoded, len(encoded))
                        raw.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)))
                        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, ctypes.c_double(item.x), ctypes.c_double(height - item.y - item.size))
                        raw.FPDFPage_InsertObject(page.raw, obj)
                    page.gen_content()
                page.close()
            out = io.BytesIO()
            pdf.save(out)
            return out.getvalue()
        finally:
            pdf.close()


def _place_image(pdf, page, image: Image.Image, width: float, height: float) -> None:
    import pypdfium2 as pdfium

    jpeg = io.BytesIO(image_bytes(image.convert("RGB"), "JPEG", quality=92))
    obj = pdfium.PdfImage.new(pdf)
    obj.load_jpeg(jpeg, inline=True)
    obj.set_matrix(pdfium.PdfMatrix().scale(width, height))
    page.insert_obj(obj)
    page.gen_content()


def invoice_page() -> list[TextItem]:
    """A one-page A4 invoice with :data:`INVOICE_VALUES` and :data:`INVOICE_ITEMS`."""
    printed = _SAMPLES["invoice"]["print"]
    items = [TextItem(**entry) for entry in printed["header"]]
    y = printed["items"]["top"]
    for item in INVOICE_ITEMS:
        items += [TextItem(x, y, item[name]) for name, x in printed["items"]["columns"].items()]
        y += printed["items"]["step"]
    for entry in printed["footer"]:
        placed = {key: value for key, value in entry.items() if key != "below_items"}
        items.append(TextItem(y=y + entry["below_items"], **placed))
    return items
