"""Synthetic documents with known values: the repo's samples and the test suite's fixtures.

Receipts are drawn with Pillow's built-in scalable font (the same pixels on every machine);
PDFs are written with PDFium's standard Helvetica, so they carry a real text layer. Nothing
here needs a network or a system font.
"""

from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

# --------------------------------------------------------------------------- receipt image

RECEIPT_LINES: list[tuple[str, str]] = [
    # (left text, right text); "" for none. Header lines are centred.
    ("CORNER BAKERY & CAFE", "center"),
    ("12 HARBOUR STREET", "center"),
    ("SPRINGFIELD, IL 62701", "center"),
    ("TEL: (217) 555-0134", "center"),
]

RECEIPT_VALUES: dict[str, str] = {
    "vendor_name": "CORNER BAKERY & CAFE",
    "vendor_address": "12 HARBOUR STREET SPRINGFIELD, IL 62701",
    "invoice_number": "R-58213",
    "date": "2024-03-14",
    "time": "13:45",
    "subtotal": "15.00",
    "tax": "0.90",
    "total": "15.90",
    "currency": "USD",
    "payment_method": "cash",
}

RECEIPT_ITEMS: list[dict[str, str]] = [
    {"description": "CROISSANT", "quantity": "2", "unit_price": "3.50", "amount": "7.00"},
    {"description": "LATTE", "quantity": "1", "unit_price": "4.80", "amount": "4.80"},
    {"description": "BAGEL", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
]


def render_receipt(scale: float = 1.0) -> Image.Image:
    """A till receipt (RGB) whose fields are :data:`RECEIPT_VALUES` and items :data:`RECEIPT_ITEMS`."""
    width = int(520 * scale)
    font = ImageFont.load_default(size=int(22 * scale))
    big = ImageFont.load_default(size=int(28 * scale))
    rows: list[tuple[str, str | tuple[str, str], ImageFont.FreeTypeFont, bool]] = [
        ("CORNER BAKERY & CAFE", "", big, True),
        ("12 HARBOUR STREET", "", font, True),
        ("SPRINGFIELD, IL 62701", "", font, True),
        ("TEL: (217) 555-0134", "", font, True),
        ("", "", font, False),
        ("RECEIPT NO: R-58213", "", font, False),
        ("DATE: 03/14/2024", "TIME: 13:45", font, False),
        ("", "", font, False),
        ("QTY ITEM", ("PRICE", "AMOUNT"), font, False),
    ]
    for item in RECEIPT_ITEMS:
        rows.append((f"{item['quantity']} {item['description']}", (item["unit_price"], item["amount"]), font, False))
    rows += [
        ("", "", font, False),
        ("SUBTOTAL", "15.00", font, False),
        ("SALES TAX 6%", "0.90", font, False),
        ("TOTAL", "$15.90", big, False),
        ("CASH", "20.00", font, False),
        ("CHANGE", "4.10", font, False),
        ("", "", font, False),
        ("THANK YOU, COME AGAIN!", "", font, True),
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


INVOICE_VALUES: dict[str, str] = {
    "vendor_name": "Northwind Supplies Ltd",
    "vendor_address": "48 Quay Road, Bristol BS1 4DJ, United Kingdom",
    "vendor_tax_id": "GB123456789",
    "invoice_number": "INV-2024-0042",
    "po_number": "PO-7731",
    "date": "2024-02-05",
    "due_date": "2024-03-06",
    "subtotal": "296.00",
    "tax": "59.20",
    "total": "355.20",
    "currency": "GBP",
    "payment_method": "bank_transfer",
}

INVOICE_ITEMS: list[dict[str, str]] = [
    {"description": "Paper A4 (box of 5 reams)", "quantity": "3", "unit_price": "24.00", "amount": "72.00"},
    {"description": "Toner cartridge black", "quantity": "2", "unit_price": "89.50", "amount": "179.00"},
    {"description": "Desk lamp LED", "quantity": "1", "unit_price": "45.00", "amount": "45.00"},
]


def invoice_page() -> list[TextItem]:
    """A one-page A4 invoice with :data:`INVOICE_VALUES` and :data:`INVOICE_ITEMS`."""
    items = [
        TextItem(50, 50, "Northwind Supplies Ltd", 18, bold=True),
        TextItem(50, 74, "48 Quay Road, Bristol BS1 4DJ, United Kingdom"),
        TextItem(50, 88, "VAT No: GB123456789"),
        TextItem(400, 50, "INVOICE", 20, bold=True),
        TextItem(360, 110, "Invoice No:"),
        TextItem(450, 110, "INV-2024-0042"),
        TextItem(360, 125, "Invoice Date:"),
        TextItem(450, 125, "05 Feb 2024"),
        TextItem(360, 140, "Due Date:"),
        TextItem(450, 140, "06 Mar 2024"),
        TextItem(360, 155, "PO Number:"),
        TextItem(450, 155, "PO-7731"),
        TextItem(50, 130, "Bill To:", bold=True),
        TextItem(50, 145, "Contoso Dental Clinic"),
        TextItem(50, 159, "7 Market Square, Bath BA1 1AA"),
        TextItem(50, 220, "Description", bold=True),
        TextItem(320, 220, "Qty", bold=True),
        TextItem(380, 220, "Unit Price", bold=True),
        TextItem(480, 220, "Amount", bold=True),
    ]
    y = 240
    for item in INVOICE_ITEMS:
        items += [
            TextItem(50, y, item["description"]),
            TextItem(320, y, item["quantity"]),
            TextItem(380, y, item["unit_price"]),
            TextItem(480, y, item["amount"]),
        ]
        y += 18
    items += [
        TextItem(380, y + 20, "Subtotal"),
        TextItem(480, y + 20, "296.00"),
        TextItem(380, y + 36, "VAT 20%"),
        TextItem(480, y + 36, "59.20"),
        TextItem(380, y + 54, "Total GBP", bold=True),
        TextItem(480, y + 54, "355.20", bold=True),
        TextItem(50, y + 110, "Payment terms: 30 days. Bank transfer to IBAN GB29 NWBK 6016 1331 9268 19."),
    ]
    return items
