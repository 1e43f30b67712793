"""The candidate ranker: shared features, joint choice, loading, and the shipped model."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.amounts import amount_fields, is_cash_sale
from extraction.extractors.layout.candidates import LabelIndex, ValueCandidate, candidates_for, feature_names
from extraction.extractors.layout.extractor import RulesExtractor, extract_document
from extraction.extractors.layout.ranker import MODEL_DIR, _consistent_amounts, _distinct_ids, load_ranker
from extraction.extractors.layout.rows import build_layout
from tests.support.text_pages import rows_page as page


INVOICE = [
    (50, 40, "ACME Supplies Ltd"),
    (900, 40, "Invoice No: INV-20417"),
    (900, 70, "PO Number: 88123"),
    (900, 100, "Date: 2024-03-14"),
    (50, 300, "Description"), (800, 300, "Qty"), (1000, 300, "Unit price"), (1300, 300, "Amount"),
    (50, 330, "Toner cartridge"), (800, 330, "2"), (1000, 330, "45.00"), (1300, 330, "90.00"),
    (50, 360, "Paper A4"), (800, 360, "3"), (1000, 360, "10.00"), (1300, 360, "30.00"),
    (1000, 420, "Subtotal"), (1300, 420, "120.00"),
    (1000, 450, "VAT 20%"), (1300, 450, "24.00"),
    (1000, 480, "Total"), (1300, 480, "144.00"),
]


def test_every_candidate_has_one_value_per_feature_name() -> None:
    layout = build_layout(page(INVOICE))
    index = LabelIndex(layout)
    for field in ("total", "tax", "invoice_number"):
        cands, rows = candidates_for(layout, index, field, {"total": Decimal("144.00")})
        assert cands and all(len(row) == len(feature_names()) for row in rows)
    cands, rows = candidates_for(layout, index, "total", {"total": Decimal("144.00")})
    names = feature_names()
    by_value = {c.value: dict(zip(names, row)) for c, row in zip(cands, rows)}
    total = by_value[Decimal("144.00")]
    assert total["row_total"] > 0 and total["rule_same_field"] == 1.0 and total["sum_of_two"] == 1.0
    assert by_value[Decimal("120.00")]["row_subtotal"] > 0 and by_value[Decimal("120.00")]["column_sum"] == 1.0
    assert by_value[Decimal("90.00")]["above_column_amount"] > 0  # a cell under the "Amount" column title
    ids = {c.value for c in candidates_for(layout, index, "invoice_number", {})[0]}
    assert {"INV-20417", "88123"} <= ids and "2024-03-14" not in ids


def _cand(value: object) -> ValueCandidate:
    layout = build_layout(page([(50, 40, str(value))]))
    return ValueCandidate(value, str(value), layout.segs[0], 0, len(str(value)))


def test_joint_choice_prefers_amounts_that_add_up() -> None:
    options = {
        "total": [(0.6, _cand(Decimal("150.00"))), (0.5, _cand(Decimal("144.00")))],
        "subtotal": [(0.9, _cand(Decimal("120.00")))],
        "tax": [(0.9, _cand(Decimal("24.00")))],
    }
    picks = _consistent_amounts(options, {})
    assert picks["total"][1].value == Decimal("144.00")
    # without the arithmetic, the likelier total stays
    assert _consistent_amounts({"total": options["total"]}, {})["total"][1].value == Decimal("150.00")


def test_a_zero_tax_does_not_vouch_for_a_total_equal_to_the_subtotal() -> None:
    # gross 1640 (the likelier total) and a net amount 1394 after a commission, tax printed as 0
    options = {
        "total": [(0.6, _cand(Decimal("1640.00"))), (0.5, _cand(Decimal("1394.00")))],
        "subtotal": [(0.9, _cand(Decimal("1394.00")))],
        "tax": [(0.9, _cand(Decimal("0.00")))],
    }
    assert _consistent_amounts(options, {})["total"][1].value == Decimal("1640.00")


def test_invoice_and_po_number_are_two_numbers() -> None:
    options = {
        "invoice_number": [(0.9, _cand("88123")), (0.6, _cand("INV-20417"))],
        "po_number": [(0.95, _cand("88123"))],
    }
    picks = _distinct_ids(options)
    assert picks["po_number"][1].value == "88123" and picks["invoice_number"][1].value == "INV-20417"


def test_zero_total_line_is_not_the_total_unless_credit_note() -> None:
    rows = [(50, 40, "Rechnung"), (50, 400, "Gesamtbetrag"), (600, 400, "50,00 EUR"), (50, 440, "Total offen"), (600, 440, "-0,00 EUR")]
    assert amount_fields(build_layout(page(rows)))["total"].value == "50.00"
    credit = [(50, 40, "Credit Note"), (50, 400, "Total"), (600, 400, "-50.00")]
    assert amount_fields(build_layout(page(credit)))["total"].value == "-50.00"


def test_missing_or_mismatched_model_falls_back_to_the_rules(tmp_path: Path) -> None:
    assert load_ranker(tmp_path) is None  # no ranker.json
    (tmp_path / "ranker.json").write_text(json.dumps({"features": ["other"], "fields": {"total": {}}}))
    assert load_ranker(tmp_path) is None  # built for other features
    (tmp_path / "ranker.json").write_text(json.dumps({"features": feature_names(), "fields": {"total": {}}}))
    (tmp_path / "total.onnx").write_bytes(b"not a model")
    assert load_ranker(tmp_path) is None  # a broken file never stops the service
    request = ExtractionRequest(document_id="d", text=page(INVOICE), fields=frozenset({"total", "invoice_number"}))
    assert extract_document(request, None).fields["total"].value == "144.00"


def test_switched_off_by_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKER_ENABLED", "false")
    assert load_ranker() is None


@pytest.mark.skipif(not (MODEL_DIR / "ranker.json").is_file(), reason="no shipped ranker model")
def test_shipped_model_loads_small_and_reads_a_plain_invoice() -> None:
    record = json.loads((MODEL_DIR / "ranker.json").read_text())
    assert record["features"] == feature_names() and record["fitted_on"]
    assert sum(p.stat().st_size for p in MODEL_DIR.glob("*.onnx")) < 5 * 1024 * 1024
    extractor = RulesExtractor()
    assert extractor.ranker is not None and extractor.describe()["ranker"]["fields"]
    request = ExtractionRequest(document_id="d", text=page(INVOICE), fields=frozenset({"total", "subtotal", "tax", "invoice_number", "po_number"}))
    fields = extractor.extract([request])[0].fields
    assert fields["total"].value == "144.00" and fields["subtotal"].value == "120.00" and fields["tax"].value == "24.00"
    assert fields["invoice_number"].value == "INV-20417" and fields["po_number"].value == "88123"


def test_training_fits_and_exports_a_model_the_extractor_loads(tmp_path: Path) -> None:
    pytest.importorskip("lightgbm")
    pytest.importorskip("onnxmltools")
    from builder.train_ranker import examples, export, fit

    docs = []
    for n in range(30):  # the same layout with other numbers: enough for the fitting to run
        sub, tax = Decimal(100 + 7 * n), Decimal(20 + n)
        rows = [(x, y, t) for x, y, t in INVOICE if y < 400]
        rows += [(1000, 420, "Subtotal"), (1300, 420, f"{sub:.2f}"), (1000, 450, "Tax"), (1300, 450, f"{tax:.2f}"), (1000, 480, "Total"), (1300, 480, f"{sub + tax:.2f}")]
        docs.append({"source": "t", "id": str(n), "text": page(rows), "fields": {"total": f"{sub + tax:.2f}"}})
    table = examples(docs)["total"]
    model, threshold, report = fit(table)
    assert 0 <= threshold < 1 and report["documents"] == 30
    export(model, len(feature_names()), tmp_path / "total.onnx")
    (tmp_path / "ranker.json").write_text(json.dumps({"features": feature_names(), "fields": {"total": {"threshold": threshold}}}))
    ranker = load_ranker(tmp_path)
    assert ranker is not None and set(ranker.sessions) == {"total"}
    request = ExtractionRequest(document_id="d", text=page(INVOICE), fields=frozenset({"total"}))
    assert extract_document(request, ranker).fields["total"].value == "144.00"


def test_an_amount_in_parentheses_reads_as_a_deduction() -> None:
    layout = build_layout(page([(50, 40, "Commission ($214.20)"), (50, 80, "Gross $1,428.00"), (50, 120, "Commission $214.20)")]))
    found = {c.value: c.in_parentheses for c in candidates_for(layout, LabelIndex(layout), "total", {})[0]}
    assert found == {Decimal("-214.20"): True, Decimal("214.20"): True, Decimal("1428.00"): False}


def test_cash_words_without_cash_amounts_are_no_cash_sale() -> None:
    # an order paid in advance names cash, but prints no tendered, change or rounding amount
    order = INVOICE + [(50, 140, "Terms: Cash in Advance"), (50, 170, "Billing type: Cash"), (50, 520, "Payment received with thanks")]
    assert not is_cash_sale(build_layout(page(order)))
    receipt = [(50, 40, "KEDAI RUNCIT"), (50, 300, "TOTAL"), (700, 300, "8.50"), (50, 330, "CASH"), (700, 330, "10.00"), (50, 360, "CHANGE"), (700, 360, "1.50")]
    assert is_cash_sale(build_layout(page(receipt)))


def test_a_due_date_before_the_issue_date_is_not_taken() -> None:
    from extraction.extractors.layout.dates import date_fields

    rows = [(50, 40, "Invoice date: 2024-03-14"), (50, 80, "Due date: 2023-01-01"), (50, 120, "Payment due: 2024-04-13")]
    found = date_fields(build_layout(page(rows)), "auto", None, [])
    assert found["date"].value == "2024-03-14" and found["due_date"].value == "2024-04-13"


ROUNDED_RECEIPT = [
    (300, 40, "BANH MI CAFE SDN BHD"),
    (50, 300, "SUBTOTAL:"), (700, 300, "21.95"),
    (50, 330, "GST PAYABLE (6%):"), (700, 330, "1.31"),
    (50, 360, "TOTAL (INCLUSIVE OF GST):"), (700, 360, "23.26"),
    (50, 390, "ROUNDING ADJ:"), (700, 390, "-0.01"),
    (50, 430, "TOTAL:"), (700, 430, "23.25"),
    (50, 470, "CLOSED: 2018-01-04"),
]


def test_a_rounded_receipt_total_stays_with_the_receipt_arithmetic() -> None:
    assert is_cash_sale(build_layout(page(ROUNDED_RECEIPT))) and not is_cash_sale(build_layout(page(INVOICE)))
    request = ExtractionRequest(document_id="r", text=page(ROUNDED_RECEIPT), fields=frozenset({"total", "subtotal", "tax"}))
    fields = RulesExtractor().extract([request])[0].fields
    assert fields["total"].value == "23.25"  # paid after rounding, although 21.95 + 1.31 = 23.26


class _LargestAmountSession:
    """Stands in for an ONNX session: the largest amount is the likeliest (a model that
    disagrees with the rules on the document below)."""

    class _Input:
        name = "input"

    def get_inputs(self) -> list:
        return [self._Input()]

    def run(self, _outputs: object, feeds: dict) -> list:
        column = feature_names().index("log_value")
        values = [row[column] for row in feeds["input"]]
        top = max(values)
        return [None, [[0.1, 0.9] if v == top else [0.9, 0.1] for v in values]]


def test_cash_words_keep_the_rules_amounts() -> None:
    from extraction.extractors.layout.ranker import Ranker
    from extraction.schema import ExtractedField

    def chosen(rows: list, kind: str) -> str:
        layout = build_layout(page(rows))
        ranker = Ranker({"total": _LargestAmountSession()}, {"total": 0.5}, {})
        found = {"total": ExtractedField(value="40.00", text="40.00", confidence=0.8, page=1, bbox=[0, 0, 1, 1]),
                 "document_type": ExtractedField(value=kind, text="", confidence=0.8, page=1, bbox=[0, 0, 1, 1])}
        ranker.choose(layout, found)
        return str(found["total"].value)

    rows = [(50, 300, "Total"), (700, 300, "40.00"), (50, 340, "Deposit"), (700, 340, "100.00")]
    assert chosen(rows, "invoice") == "100.00"  # no cash words: the model decides
    cash = [(50, 40, "Paid in cash")] + rows
    assert chosen(cash, "receipt") == "40.00" and chosen(cash, "invoice") == "40.00"  # the rules decide
