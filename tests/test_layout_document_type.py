"""Document type: orders and contracts without an invoice title are not receipts; till receipts stay receipts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.extractors.layout import document_type
from extraction.extractors.layout.document_type import document_type_field
from extraction.extractors.layout.rows import build_layout
from tests.support.text_pages import rows_page as page


ORDER = [
    (50, 40, "WXYZ Television"),
    (900, 40, "Contract #: 4257313"),
    (900, 70, "Customer No: 88120"),
    (50, 120, "Terms: Cash in Advance"),
    (50, 150, "Billing type: Cash"),
    (50, 300, "Gross Total"), (900, 300, "$1,640.00"),
    (50, 330, "Net Total"), (900, 330, "$1,394.00"),
]

TILL = [
    (50, 40, "KEDAI RUNCIT MAJU"),
    (50, 300, "TOTAL"), (500, 300, "8.50"),
    (50, 330, "CASH"), (500, 330, "10.00"),
    (50, 360, "CHANGE"), (500, 360, "1.50"),
]


def test_an_order_with_contract_and_customer_labels_is_an_invoice() -> None:
    field = document_type_field(build_layout(page(ORDER)), {})
    assert field.value == "invoice"


def test_a_till_receipt_with_cash_and_change_stays_a_receipt() -> None:
    strip = build_layout(page(TILL, width=600, height=1400))
    assert document_type_field(strip, {}).value == "receipt"
    # on a full page too: the cash arithmetic is the receipt's evidence
    assert document_type_field(build_layout(page(TILL)), {}).value == "receipt"


def test_the_weights_come_from_the_data_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(document_type.WEIGHTS_FILE.read_text())
    data["invoice"]["labels"] = {"contract_number": 0.0, "customer_number": 0.0}
    path = tmp_path / "document_type.json"
    path.write_text(json.dumps(data))
    monkeypatch.setattr(document_type, "WEIGHTS_FILE", path)
    document_type.weights.cache_clear()
    try:
        assert document_type_field(build_layout(page(ORDER)), {}).value == "receipt"  # no evidence left either way
    finally:
        document_type.weights.cache_clear()
