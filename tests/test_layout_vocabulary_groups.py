"""Rules that read their labels from the label vocabulary: tax labels of many languages and a
receipt's own number, on receipts whose wording the lexicon alone never held."""

from __future__ import annotations

import pytest

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.extractors.layout.lexicon import find_keyword, fold
from extraction.layout import DocumentText, Line, PageText, sort_reading_order


def _receipt(lines: list[str]) -> DocumentText:
    placed = [Line.from_text(text, (20, 30 + 26 * i, 20 + 12 * len(text), 50 + 26 * i)) for i, text in enumerate(lines)]
    return DocumentText([PageText(1, 600, 40 + 26 * len(lines), sort_reading_order(placed), "text_layer")])


def _read(lines: list[str], fields: set[str]) -> dict:
    return RulesExtractor().extract([ExtractionRequest("r", _receipt(lines), frozenset(fields))])[0].fields


@pytest.mark.parametrize(
    "label, text",
    [("PST 6%", "PST 6% 9.13"), ("moms", "Moms 25% 9.13"), ("T.V.A.", "Montant T.V.A.: 9.13"), ("kwota VAT", "Kwota VAT 9.13")],
)
def test_tax_labels_of_the_vocabulary_are_tax_labels(label: str, text: str) -> None:
    assert find_keyword(fold(text), "tax") is not None, label
    fields = _read(["Granite Hardware", "Tax reg. no.: 56-5002337", "Total before tax 152.17", text, "GRAND TTL: 161.30"], {"tax", "total", "vendor_tax_id"})
    assert fields["tax"].value == "9.13"
    assert fields["total"].value == "161.30"
    assert fields["vendor_tax_id"].value == "56-5002337"  # the tax-id line is not the tax line


@pytest.mark.parametrize(
    "line, number",
    [("Nombor resit: 5397/358", "5397/358"), ("N° transaction: T4834614", "T4834614"), ("Bon-Nr. 4711-0815", "4711-0815")],
)
def test_a_receipt_number_label_gives_the_document_number(line: str, number: str) -> None:
    fields = _read(["Permata Farmasi Berhad", "No. Pend. GST: W10-7013-41823161", line, "JUMLAH: RM23.93"], {"invoice_number", "vendor_tax_id"})
    assert fields["invoice_number"].value == number
    assert fields["vendor_tax_id"].value == "W10-7013-41823161"


@pytest.mark.parametrize(
    "subtotal_line, tax_line, total_line",
    [
        ("Totalt exkl. moms: 400,00", "Moms 25 %: 100,00", "Totalt inkl. moms: SEK 500,00"),
        ("Zwischensumme 400,00", "MwSt. 19 % 100,00", "Rechnungsbetrag brutto 500,00"),
        ("Momsgrundlag 400,00", "Moms 100,00", "I alt inkl. moms 500,00"),
        ("Jumlah sebelum GST 400.00", "GST 6% 100.00", "Jumlah termasuk GST 500.00"),
    ],
)
def test_subtotal_and_total_labels_of_the_vocabulary(subtotal_line: str, tax_line: str, total_line: str) -> None:
    fields = _read(["Nordljus Handel AB", "Faktura 2024-117", subtotal_line, tax_line, total_line], {"subtotal", "tax", "total"})
    assert (fields["subtotal"].value, fields["tax"].value, fields["total"].value) == ("400.00", "100.00", "500.00")


def test_a_label_the_lexicon_files_elsewhere_keeps_the_lexicons_meaning() -> None:
    # the vocabulary files "Net total" under subtotal (an invoice's amount before tax); on the
    # receipts the lexicon was written for it is the amount paid, and the lexicon's choice stands
    from extraction.extractors.layout.labels import _classify_folded

    assert _classify_folded(fold("NET TOTAL"))[0] == "total"
    assert _classify_folded(fold("Zwischensumme"))[0] == "subtotal"


def test_a_due_date_label_of_the_vocabulary() -> None:
    fields = _read(["Kowalski Sp. z o.o.", "Data wystawienia: 01.03.2024", "Termin płatności: 15.03.2024", "Razem 500,00"], {"date", "due_date"})
    assert fields["due_date"].value == "2024-03-15" and fields["date"].value == "2024-03-01"


def _table(header: list[tuple[str, int]], rows: list[list[tuple[str, int]]]) -> DocumentText:
    lines = [Line.from_text("Nordljus Handel AB", (20, 20, 240, 36))]
    for y, cells in enumerate([header] + rows):
        lines += [Line.from_text(text, (x, 80 + 24 * y, x + 9 * len(text), 96 + 24 * y)) for text, x in cells]
    lines.append(Line.from_text("Gesamtbetrag 173,20", (300, 80 + 24 * (len(rows) + 2), 480, 96 + 24 * (len(rows) + 2))))
    return DocumentText([PageText(1, 600, 400, sort_reading_order(lines), "text_layer")])


def test_column_titles_of_the_vocabulary_place_quantity_and_unit_price() -> None:
    # unit price printed left of the quantity, both as plain numbers: only the titles tell them apart
    header = [("Warenbezeichnung", 20), ("Stückpreis", 260), ("Stückzahl", 360), ("Zeilensumme", 460)]
    rows = [[("Kabeltrommel 25 m", 20), ("42,20", 260), ("2", 360), ("84,40", 460)],
            [("Leiter 3 Stufen", 20), ("88,80", 260), ("1", 360), ("88,80", 460)]]
    request = ExtractionRequest("t", _table(header, rows), frozenset({"line_items", "total"}))
    [result] = RulesExtractor().extract([request])
    items = [(i.description, i.quantity, i.unit_price, i.amount) for i in result.line_items]
    assert items == [("Kabeltrommel 25 m", "2", "42.20", "84.40"), ("Leiter 3 Stufen", "1", "88.80", "88.80")]
