"""Gross - commission = net: an agency order's total is its gross amount."""

from __future__ import annotations

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.commission import gross_net_rows
from extraction.extractors.layout.extractor import extract_document
from extraction.extractors.layout.rows import build_layout
from extraction.fields import STANDARD_FIELDS
from tests.support.text_pages import rows_page as page


def _total(rows: list[tuple[float, float, str]]) -> str:
    request = ExtractionRequest(document_id="t", text=page(rows), fields=frozenset(STANDARD_FIELDS))
    return extract_document(request, None).fields["total"].value


def test_net_amount_due_after_commission_is_not_the_total() -> None:
    rows = [
        (50, 40, "Broadcast Invoice"),
        (900, 900, "Gross Total"),
        (1300, 900, "$2,635.00"),
        (900, 950, "Agency Commission"),
        (1300, 950, "$395.25"),
        (900, 1000, "Net Amount Due"),
        (1300, 1000, "$2,239.75"),
    ]
    assert _total(rows) == "2635.00"


def test_commission_column_takes_the_gross_of_the_totals_row() -> None:
    rows = [
        (50, 100, "Time Period"),
        (400, 100, "Gross Amount"),
        (700, 100, "Agency Comm."),
        (1000, 100, "Net Amount"),
        (50, 140, "01/27/20 -02/23/20"),
        (400, 140, "$85.00"),
        (700, 140, "($12.75)"),
        (1000, 140, "$72.25"),
        (50, 180, "02/24/20 -03/03/20"),
        (400, 180, "$1,815.00"),
        (700, 180, "($272.25)"),
        (1000, 180, "$1,542.75"),
        (50, 220, "Totals"),
        (400, 220, "$1,900.00"),
        (700, 220, "($285.00)"),
        (1000, 220, "$1,615.00"),
        (900, 400, "NET TOTAL"),
        (1200, 400, "$1,615.00"),
    ]
    layout = build_layout(page(rows))
    assert {str(r.commission.value) for r in gross_net_rows(layout)} >= {"12.75", "272.25", "285.00"}
    assert _total(rows) == "1900.00"


def test_a_discount_is_not_a_commission() -> None:
    rows = [
        (50, 40, "Invoice 2024-17"),
        (900, 900, "Subtotal"),
        (1300, 900, "100.00"),
        (900, 950, "Discount"),
        (1300, 950, "10.00"),
        (900, 1000, "Total"),
        (1300, 1000, "90.00"),
    ]
    assert _total(rows) == "90.00"


def test_a_commission_rate_is_not_a_commission_amount() -> None:
    rows = [
        (50, 40, "Order"),
        (900, 850, "Commission % 15.00"),
        (900, 900, "Total"),
        (1300, 900, "$20.00"),
        (500, 1200, "Rate"),
        (500, 1240, "$35.00"),
    ]
    layout = build_layout(page(rows))
    assert gross_net_rows(layout) == []
    assert _total(rows) == "20.00"
