"""The amount a receipt's customer paid, decided jointly from its money lines (total, rounding,
tendered, change, subtotal, tax, discount) in the languages of the label vocabulary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.amounts_receipt import read_money_lines, score_hypotheses, settle_paid_total
from extraction.extractors.layout.labels import make_field
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.extractors.layout.rows import build_layout
from extraction.layout import DocumentText, Line, PageText, sort_reading_order

WIDTH = 384  # a 58 mm thermal roll at 170 dpi


def receipt(rows: list[tuple[str, str]], *, items: int = 3, narrow: bool = False, width: float = WIDTH) -> DocumentText:
    """A till receipt: shop name, ``items`` item lines, then the money rows (label, amount).
    ``narrow``: each amount printed on the row under its label, as 40-column rolls wrap them."""
    lines = [Line.from_text("KEDAI CONTOH", (100, 20, 280, 44))]
    y = 60.0
    for i in range(items):
        lines.append(Line.from_text(f"ITEM {i + 1:03d}", (10, y, 160, y + 16)))
        lines.append(Line.from_text("1.00", (width - 70, y, width - 10, y + 16)))
        y += 20
    for label, amount in rows:
        lines.append(Line.from_text(label, (10, y, 200, y + 16)))
        if narrow:
            y += 20
        lines.append(Line.from_text(amount, (width - 90, y, width - 10, y + 16)))
        y += 20
    return DocumentText([PageText(1, width, y + 40, sort_reading_order(lines), "ocr")])


def first_reading(total: str) -> dict:
    return {"total": make_field(total, total, 0.9, page=1, box=(0, 0, 1, 1))}


CASES = {
    "en": ([("TOTAL SALES", "88.97"), ("ROUNDING ADJ", "-0.02"), ("TOTAL AFTER ADJ", "88.95"), ("CASH", "100.00"), ("CHANGE", "11.05")], "88.97", "88.95"),
    "de": ([("Summe", "12,42"), ("Rundung", "-0,02"), ("Zu zahlen", "12,40"), ("Gegeben bar", "20,00"), ("Rückgeld", "7,60")], "12.42", "12.40"),
    "fr": ([("Sous-total", "20,00"), ("Remise", "-2,00"), ("Total à payer", "18,00"), ("Espèces", "20,00"), ("Rendu monnaie", "2,00")], "20.00", "18.00"),
    "it": ([("Totale", "7,03"), ("Arrotondamento", "-0,03"), ("Totale da pagare", "7,00"), ("Contanti", "10,00"), ("Resto", "3,00")], "7.03", "7.00"),
    "nl": ([("Subtotaal", "9,98"), ("Afronding", "0,02"), ("Te betalen", "10,00"), ("Contant", "20,00"), ("Wisselgeld", "10,00")], "9.98", "10.00"),
    "es": ([("Total", "15,48"), ("Redondeo", "0,02"), ("Total a pagar", "15,50"), ("Efectivo", "20,00"), ("Cambio", "4,50")], "15.48", "15.50"),
    "ms": ([("Jumlah", "23.47"), ("Pelarasan pembundaran", "-0.02"), ("Jumlah perlu dibayar", "23.45"), ("Tunai", "50.00"), ("Wang baki", "26.55")], "23.47", "23.45"),
}


@pytest.mark.parametrize("lang", sorted(CASES))
def test_the_paid_amount_replaces_a_first_reading_the_arithmetic_contradicts(lang: str) -> None:
    rows, wrong, paid = CASES[lang]
    layout = build_layout(receipt(rows))
    settled = settle_paid_total(layout, first_reading(wrong))
    assert settled["total"].value == paid
    assert settled["total"].bbox is not None  # placed on the printed amount


@pytest.mark.parametrize("lang", sorted(CASES))
def test_a_first_reading_the_arithmetic_vouches_for_stands(lang: str) -> None:
    rows, _, paid = CASES[lang]
    found = first_reading(paid)
    assert settle_paid_total(build_layout(receipt(rows)), found) is found


@pytest.mark.parametrize("lang", ["en", "de", "ms"])
def test_narrow_and_long_receipts_read_the_same(lang: str) -> None:
    rows, wrong, paid = CASES[lang]
    for document in (receipt(rows, narrow=True), receipt(rows, items=150), receipt(rows, narrow=True, items=150, width=300)):
        page = document.pages[0]
        layout = build_layout(document)
        roles = [line.role for line in read_money_lines(layout)]
        assert roles.count("tendered") == 1 and roles.count("change") == 1, roles
        assert settle_paid_total(layout, first_reading(wrong))["total"].value == paid
        if len(page.lines) > 300:
            assert page.height > 3 * page.width  # long: more than three times as tall as wide


#: receipts that print the unrounded sum under a plain total label and the rounded amount due
WHOLE_RECEIPTS = {
    "it": ([("Subtotale", "7,03"), ("Totale", "7,03"), ("Arrotondamento", "-0,03"), ("Totale da pagare", "7,00"), ("Contanti", "10,00"), ("Resto", "3,00")], "7.00"),
    "pl": ([("Suma", "15,48"), ("Zaokrąglenie", "0,02"), ("Do zapłaty", "15,50"), ("Gotówka", "20,00"), ("Reszta", "4,50")], "15.50"),
    "da": ([("Subtotal", "15,48"), ("Total", "15,48"), ("Afrunding", "0,02"), ("At betale", "15,50"), ("Kontant", "20,00"), ("Byttepenge", "4,50")], "15.50"),
    "en": ([("SUB-TOTAL", "127.37"), ("TOTAL SALES INCL GST", "127.37"), ("ROUNDING ADJ", "-0.02"), ("TOTAL AFTER ADJ INCL GST", "127.35"), ("CASH", "150.00"), ("CHANGE AMT", "22.65")], "127.35"),
}


@pytest.mark.parametrize("lang", sorted(WHOLE_RECEIPTS))
@pytest.mark.parametrize("narrow", [False, True])
def test_the_extractor_reports_the_paid_amount(lang: str, narrow: bool) -> None:
    rows, paid = WHOLE_RECEIPTS[lang]
    result = RulesExtractor().extract([ExtractionRequest("r", receipt(rows, items=40, narrow=narrow), frozenset({"total"}))])[0]
    assert result.fields["total"].value == paid


def test_an_amount_no_line_prints_as_a_total_is_evidence_not_an_answer() -> None:
    # cash - change = 26.80 but the receipt's only total line prints 26.82: the printed total stays
    rows = [("TOTAL", "26.82"), ("ROUNDING ADJUSTMENT", "-0.02"), ("CASH RECEIVED", "50.00"), ("CHANGE", "23.20")]
    found = first_reading("26.82")
    assert settle_paid_total(build_layout(receipt(rows)), found) is found
    best = score_hypotheses(read_money_lines(build_layout(receipt(rows))))[0]
    assert best.value == Decimal("26.80") and "label" not in best.reasons


def test_cash_tendered_bounds_the_paid_amount() -> None:
    rows = [("SUBTOTAL", "25.60"), ("COUPON DISCOUNT", "21.70"), ("GRAND TOTAL", "3.90"), ("PAYMENT", "5.00"), ("CHANGE DUE", "1.10")]
    lines = read_money_lines(build_layout(receipt(rows)))
    ranked = score_hypotheses(lines)
    assert ranked[0].value == Decimal("3.90")
    assert "tendered - change" in ranked[0].reasons and "subtotal + tax - discount" in ranked[0].reasons
    assert settle_paid_total(build_layout(receipt(rows)), first_reading("25.60"))["total"].value == "3.90"
    gross = [("TOTAL", "25.60"), ("DISCOUNT", "21.70"), ("NET TOTAL", "3.90"), ("CASH", "5.00"), ("CHANGE", "1.10")]
    over = next(h for h in score_hypotheses(read_money_lines(build_layout(receipt(gross)))) if h.value == Decimal("25.60"))
    assert "more than tendered" in over.reasons and over.support < 0


def test_a_page_without_cash_arithmetic_keeps_its_total() -> None:
    rows = [("Subtotal", "100.00"), ("VAT 20%", "20.00"), ("Total", "120.00")]
    found = first_reading("100.00")  # even a doubtful first reading: nothing on the page is a payment
    assert settle_paid_total(build_layout(receipt(rows)), found) is found


def test_a_missing_total_is_filled_from_the_printed_amount_due() -> None:
    rows = [("Summe", "12,42"), ("Rundung", "-0,02"), ("Zu zahlen", "12,40"), ("Gegeben bar", "20,00"), ("Rückgeld", "7,60")]
    settled = settle_paid_total(build_layout(receipt(rows)), {})
    assert settled["total"].value == "12.40"


def test_a_payment_means_line_with_an_amount_is_what_was_handed_over() -> None:
    # "CONTADO 50,00" names the means (cash), not a tendered label; the change proves 48,52
    rows = [("TOT.:", "48,52 €"), ("IMP. IVA 21%", "8,42"), ("CONTADO", "50,00"), ("A DEVOLVER:", "1,48")]
    lines = read_money_lines(build_layout(receipt(rows)))
    assert [l.role for l in lines if l.amount == Decimal("50.00")] == ["tendered"]
    assert settle_paid_total(build_layout(receipt(rows)), first_reading("50.00"))["total"].value == "48.52"


def test_a_value_under_its_label_may_carry_its_currency() -> None:
    rows = [("JUMLAH KESELURUHAN:", "RM79.25"), ("PELARASAN BUNDAR", "-0.02"), ("AMAUN DIBAYAR:", "RM100.00"), ("WANG BAKI", "RM20.75")]
    narrow = build_layout(receipt(rows, narrow=True))
    assert {l.role: l.amount for l in read_money_lines(narrow)}["total"] == Decimal("79.25")
    assert settle_paid_total(narrow, first_reading("79.27"))["total"].value == "79.25"
