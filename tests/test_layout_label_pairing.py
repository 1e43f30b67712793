"""Label-to-value pairing from the label vocabulary: document numbers and column totals."""

from __future__ import annotations

from extraction.extractors.layout.amounts import amount_fields, collect_labels
from extraction.extractors.layout.identifiers import identifier_fields
from extraction.extractors.layout.rows import build_layout
from tests.support.text_pages import rows_page as page


def test_order_number_under_its_label_when_no_invoice_number_is_printed() -> None:
    layout = build_layout(page([
        (50, 40, "Broadcast Order"),
        (900, 100, "Order / Rev:"),
        (1200, 100, "Alt Order #:"),
        (900, 130, "14086"),
        (1200, 130, "WOC12345678"),
    ]))
    found = identifier_fields(layout)
    assert found["invoice_number"].value == "14086"  # the label opening its line, not "Alt Order #"


def test_contract_number_beats_order_number() -> None:
    layout = build_layout(page([
        (50, 100, "Order # 555123"),
        (50, 140, "Contract Number: 9988776"),
    ]))
    assert identifier_fields(layout)["invoice_number"].value == "9988776"


def test_clause_numbers_in_running_text_are_not_document_numbers() -> None:
    layout = build_layout(page([
        (50, 100, "3.4. Payment via cards. Station will accept payment via cards, but only when invoices for the order are"),
        (50, 130, "3.3"),
        (900, 200, "Contract / Revision"),
        (900, 230, "2005382 /"),
    ]))
    assert identifier_fields(layout)["invoice_number"].value == "2005382"


def test_total_column_takes_the_totals_row_not_the_first_period() -> None:
    layout = build_layout(page([
        (50, 100, "Time Period"),
        (400, 100, "Gross Amount"),
        (700, 100, "Net Amount"),
        (50, 130, "03/30/20 -04/26/20"),
        (400, 130, "$10.00"),
        (700, 130, "$8.50"),
        (50, 160, "04/27/20 -04/30/20"),
        (400, 160, "$40.00"),
        (700, 160, "$34.00"),
        (50, 190, "Totals"),
        (400, 190, "$50.00"),
        (700, 190, "$42.50"),
    ]))
    assert amount_fields(layout)["total"].value == "50.00"


def test_a_dash_split_off_a_total_labels_colon_is_no_minus_sign() -> None:
    """A tilted photo of "Total Payable:-51.88" comes back from the OCR as two cells."""
    layout = build_layout(page([
        (50, 100, "Total 6% supplies (Inc. GST):"),
        (500, 100, "32.05"),
        (50, 140, "Total 0% supplies:"),
        (500, 140, "19.83"),
        (200, 180, "Total Payable:"),
        (480, 180, "-51.88"),
    ]))
    assert amount_fields(layout)["total"].value == "51.88"


def test_a_rounding_cell_beside_its_labels_colon_keeps_its_sign() -> None:
    layout = build_layout(page([
        (50, 100, "Sub Total:"),
        (500, 100, "10.02"),
        (50, 140, "Rounding:"),
        (500, 140, "-0.02"),
        (50, 180, "Total:"),
        (500, 180, "10.00"),
    ]))
    found = amount_fields(layout)
    assert found["total"].value == "10.00"
    assert {label.cls: str(label.amount) for label in collect_labels(layout)}["rounding"] == "-0.02"
