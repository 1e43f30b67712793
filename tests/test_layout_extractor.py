"""The rule-based CPU extractor on synthetic layouts, the repo's samples and (slow) the shared sets."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from extraction.settings.limits import Limits
from extraction.documents import load_document
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.extractors.layout.address import repair_misread_commas
from extraction.extractors.layout.extractor import RulesExtractor, is_available
from extraction.extractors.layout.rows import build_layout
from extraction.fields import STANDARD_FIELDS
from extraction.layout import DocumentText, Line, PageText, sort_reading_order
from extraction.normalize.fields import normalize_field

from tests.support.paths import SAMPLES, dataset_dir


def page(rows: list[tuple[float, float, str]], width: float = 600, height: float = 1200) -> DocumentText:
    """Lines from (x, y, text): 10 px per character, 20 px high."""
    lines = [Line.from_text(text, (x, y, x + 10 * len(text), y + 20)) for x, y, text in rows]
    return DocumentText([PageText(1, width, height, sort_reading_order(lines), "ocr")])


RECEIPT = page(
    [
        (150, 40, "KEDAI MAJU JAYA SDN BHD"),
        (200, 70, "(123456-X)"),
        (120, 100, "NO. 12, JALAN BESAR 3,"),
        (140, 130, "43000 KAJANG, SELANGOR."),
        (160, 160, "TEL: 03-8736 1234"),
        (200, 190, "TAX INVOICE"),
        (20, 230, "Invoice No: CS100234"),
        (20, 260, "Date: 25/12/2018 8:13:39 PM"),
        (20, 320, "MILO 1KG"),
        (420, 320, "15.90"),
        (20, 350, "BREAD"),
        (420, 350, "3.20"),
        (100, 400, "Subtotal"),
        (420, 400, "19.10"),
        (100, 430, "GST 6%"),
        (420, 430, "1.15"),
        (100, 460, "TOTAL"),
        (420, 460, "20.25"),
        (100, 490, "CASH"),
        (420, 490, "50.00"),
        (100, 520, "CHANGE"),
        (420, 520, "29.75"),
    ],
    height=700,
)

INVOICE_FR = page(
    [
        (60, 40, "Facture FA04/2015/027622"),
        (60, 100, "Date de facturation:"),
        (60, 125, "04/04/2015"),
        (300, 100, "Date d'échéance:"),
        (300, 125, "03/06/2015"),
        (520, 100, "Source:"),
        (520, 125, "BC03277"),
        (60, 200, "Description"),
        (560, 200, "Quantité"),
        (760, 200, "Prix unitaire"),
        (960, 200, "Montant"),
        (60, 240, "Bureau personnalisable"),
        (560, 240, "27,00"),
        (760, 240, "500,00"),
        (960, 240, "13 500,00 €"),
        (60, 270, "Restaurant"),
        (560, 270, "23,00"),
        (760, 270, "8,00"),
        (960, 270, "184,00 €"),
        (700, 330, "Montant HT"),
        (960, 330, "13 684,00 €"),
        (700, 360, "TVA 20%"),
        (960, 360, "2 736,80 €"),
        (700, 390, "Total"),
        (960, 390, "16 420,80 €"),
    ],
    width=1200,
    height=1700,
)


def run(text: DocumentText, fields=STANDARD_FIELDS, **kwargs) -> Extraction:
    result = RulesExtractor().extract([ExtractionRequest("doc", text, frozenset(fields), **kwargs)])[0]
    assert isinstance(result, Extraction)
    return result


def values(result: Extraction) -> dict[str, object]:
    return {name: f.value for name, f in result.fields.items()}


def test_is_available_and_describes_itself() -> None:
    assert is_available() is True
    assert RulesExtractor().describe()["name"] == "rules"


def test_receipt_fields() -> None:
    got = values(run(RECEIPT))
    assert got["vendor_name"] == "KEDAI MAJU JAYA SDN BHD"
    assert got["vendor_address"] == "NO. 12, JALAN BESAR 3, 43000 KAJANG, SELANGOR."
    assert got["date"] == "2018-12-25"
    assert got["time"] == "20:13"
    assert got["invoice_number"] == "CS100234"
    assert (got["subtotal"], got["tax"], got["total"]) == ("19.10", "1.15", "20.25")
    assert got["payment_method"] == "cash"
    assert "currency" not in got  # nothing on the receipt names a currency: none is guessed


def test_french_invoice_fields_and_line_items() -> None:
    result = run(INVOICE_FR)
    got = values(result)
    assert got["invoice_number"] == "FA04/2015/027622"
    assert got["po_number"] == "BC03277"
    assert (got["date"], got["due_date"]) == ("2015-04-04", "2015-06-03")
    assert (got["subtotal"], got["tax"], got["total"]) == ("13684.00", "2736.80", "16420.80")
    assert got["currency"] == "EUR"
    assert result.document_type == "invoice"
    items = [(i.description, Decimal(i.quantity), i.unit_price, i.amount) for i in result.line_items]
    assert items == [
        ("Bureau personnalisable", Decimal(27), "500.00", "13500.00"),
        ("Restaurant", Decimal(23), "8.00", "184.00"),
    ]


def test_only_requested_fields_are_returned() -> None:
    result = run(RECEIPT, fields={"total", "date"})
    assert set(result.fields) == {"total", "date"}
    assert result.line_items == [] and result.document_type is None


def test_custom_queries_are_null_with_a_warning() -> None:
    result = run(RECEIPT, fields={"total"}, queries={"table": "Which table number?"})
    assert result.custom == {"table": None}
    assert any("queries" in w for w in result.warnings)


def test_ambiguous_date_warns_and_date_order_decides() -> None:
    text = page([(10, 10, "ACME STORE"), (10, 40, "Date: 03/04/2018"), (10, 70, "TOTAL 5.00")])
    auto = run(text, fields={"date"})
    assert auto.fields["date"].value == "2018-04-03" and any("date_order" in w for w in auto.warnings)
    assert auto.warnings == normalize_field("date", "03/04/2018").warnings  # one wording whichever path reads it
    mdy = run(text, fields={"date"}, date_order="MDY")
    assert mdy.fields["date"].value == "2018-03-04" and not mdy.warnings


def test_unambiguous_date_elsewhere_decides_the_order() -> None:
    text = page([(10, 10, "ACME STORE"), (10, 40, "Date: 03/04/2018"), (10, 70, "TOTAL 5.00"), (10, 100, "Printed 12/25/2018")])
    result = run(text, fields={"date"})
    assert result.fields["date"].value == "2018-03-04" and not result.warnings


def test_arithmetic_picks_the_total_and_raises_confidence() -> None:
    consistent = run(RECEIPT, fields={"total"}).fields["total"]
    lone = run(page([(10, 10, "SHOP"), (10, 40, "TOTAL"), (300, 40, "20.25")]), fields={"total"}).fields["total"]
    assert consistent.value == lone.value == "20.25"
    assert consistent.confidence > lone.confidence


def test_boxes_are_rounded_to_a_tenth_of_a_pixel() -> None:
    text = page([(10.04, 10.26, "ACME STORE"), (10.04, 40.26, "TOTAL 5.00")])
    box = run(text, fields={"total"}).fields["total"].bbox
    assert box is not None and all(v == round(v, 1) for v in box) and box[1] == 40.3


def test_table_header_rows_include_a_title_wrapped_onto_the_next_line() -> None:
    layout = build_layout(_german_table((60, 200, "Summe 10,00 EUR")))
    header = [row.text for row in layout.rows if row.index in layout.table_header_rows]
    assert header == ["Pos. Menge Beschreibung VK-Preis Zeilenbetrag", "MwSt."]
    assert layout.table_header_rows is layout.table_header_rows  # computed once per document


def test_empty_document_gives_no_fields() -> None:
    result = run(DocumentText([PageText(1, 100, 100, [], "ocr")]))
    assert result.fields == {} and result.warnings


def _sample(name: str) -> dict:
    for line in (SAMPLES / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["id"] == name:
            return record
    pytest.skip(f"sample {name} missing")


@pytest.fixture(scope="module")
def sample_invoice() -> tuple[dict, Extraction]:
    """The shipped PDF invoice read from its text layer: (ground truth record, extraction)."""
    record = _sample("invoice")
    loaded = load_document((SAMPLES / record["file"]).read_bytes(), limits=Limits())
    return record, run(DocumentText([p for p in loaded.pages if isinstance(p, PageText)]))


@pytest.mark.parametrize(
    "name", ["vendor_name", "vendor_tax_id", "invoice_number", "po_number", "date", "due_date", "subtotal", "tax", "total", "currency"]
)
def test_sample_invoice_pdf_fields(sample_invoice: tuple[dict, Extraction], name: str) -> None:
    record, result = sample_invoice
    assert values(result).get(name) == record["fields"][name]


def test_sample_invoice_pdf_line_items(sample_invoice: tuple[dict, Extraction]) -> None:
    record, result = sample_invoice
    assert [i.amount for i in result.line_items] == [i["amount"] for i in record["fields"]["line_items"]]


@pytest.mark.slow
def test_sroie_train_dataset_boxes_accuracy() -> None:
    """Total and date on the SROIE training receipts from their own OCR boxes (no images needed)."""
    root = dataset_dir("sroie-train-ocr")
    extractor = RulesExtractor()
    hits = {"date": 0, "total": 0}
    count = 0
    for line in (root / "manifest.jsonl").read_text().splitlines()[:150]:
        record = json.loads(line)
        rows = []
        for raw in (root / record["ocr_boxes"]).read_text(encoding="utf-8", errors="replace").splitlines():
            parts = raw.split(",", 8)
            if len(parts) == 9 and parts[8].strip():
                xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
                rows.append(Line.from_text(parts[8], (min(xs), min(ys), max(xs), max(ys))))
        text = DocumentText([PageText(1, 1000, 2000, sort_reading_order(rows), "dataset")])
        result = extractor.extract([ExtractionRequest(record["id"], text, frozenset({"date", "total"}))])[0]
        count += 1
        for name in hits:
            got = result.fields.get(name)
            hits[name] += bool(got and record["fields"].get(name) and got.value == record["fields"][name])
    assert hits["date"] / count > 0.9
    assert hits["total"] / count > 0.8


def test_key_value_columns_read_values_under_their_labels() -> None:
    """"Date | Due date | PO" titles over one OCR line holding the three values."""
    header = [(60, 100, "Date"), (300, 100, "Due date"), (540, 100, "PO number")]
    value_line = Line.from_text("2015-04-04   2015-06-03   BC03277", (60, 130, 640, 150))
    lines = [Line.from_text(t, (x, y, x + 10 * len(t), y + 20)) for x, y, t in header] + [value_line]
    lines.append(Line.from_text("TOTAL 10.00", (60, 300, 170, 320)))
    result = run(DocumentText([PageText(1, 800, 1000, sort_reading_order(lines), "ocr")]))
    got = values(result)
    assert (got["date"], got["due_date"], got["po_number"]) == ("2015-04-04", "2015-06-03", "BC03277")


def test_year_day_month_dates_are_read_when_the_page_proves_them() -> None:
    text = page([(10, 10, "ACME SARL"), (10, 40, "Date - 2018-14-04"), (10, 70, "A régler avant: 2018-29-05"), (10, 100, "TOTAL 5,00 €")])
    got = values(run(text, fields={"date", "due_date"}))
    assert (got["date"], got["due_date"]) == ("2018-04-14", "2018-05-29")


def test_line_items_with_tax_rate_column_and_gross_amounts_report_net_amounts() -> None:
    text = page(
        [
            (60, 100, "Description"), (500, 100, "Qty"), (650, 100, "Unit price"), (850, 100, "VAT"), (1000, 100, "Amount"),
            (60, 140, "Office chair"), (500, 140, "2.0"), (650, 140, "€ 100,00"), (850, 140, "20.0"), (1000, 140, "€ 240,00"),
            (60, 180, "Desk lamp"), (500, 180, "1.0"), (650, 180, "€ 35,00"), (850, 180, "20.0"), (1000, 180, "€ 42,00"),
            (800, 260, "Subtotal"), (1000, 260, "€ 235,00"),
            (800, 290, "VAT"), (1000, 290, "€ 47,00"),
            (800, 320, "Total"), (1000, 320, "€ 282,00"),
        ],
        width=1300,
    )
    result = run(text)
    assert [(i.description, i.quantity, i.unit_price, i.amount) for i in result.line_items] == [
        ("Office chair", "2", "100.00", "200.00"),
        ("Desk lamp", "1", "35.00", "35.00"),
    ]


def test_unit_price_before_quantity_is_told_apart_by_the_header() -> None:
    text = page(
        [
            (60, 100, "DESCRIPTION"), (700, 100, "PU"), (850, 100, "QTE"), (1000, 100, "SOUS-TOTAL"),
            (60, 140, "Grande table"), (700, 140, "4 500,00"), (850, 140, "63,00"), (1000, 140, "283 500,00"),
            (800, 220, "Total HT"), (1000, 220, "283 500,00 €"),
        ],
        width=1300,
    )
    items = run(text).line_items
    assert [(i.quantity, i.unit_price, i.amount) for i in items] == [("63", "4500.00", "283500.00")]


def test_a_misread_line_amount_is_repaired_only_when_the_subtotal_proves_it() -> None:
    rows = [
        (60, 100, "Description"), (500, 100, "Qty"), (650, 100, "Price"), (850, 100, "Amount"),
        (60, 140, "Design"), (500, 140, "38,00"), (650, 140, "20,50"), (850, 140, "70"),
        (60, 180, "Tiroir"), (500, 180, "2,00"), (650, 180, "10,00"), (850, 180, "20,00"),
        (700, 260, "Subtotal"), (850, 260, "799,00"),
        (700, 300, "Total"), (850, 300, "799,00"),
    ]
    items = run(page(rows, width=1100)).line_items
    assert items[0].amount == "779.00" and items[0].confidence < items[1].confidence
    rows[13] = (850, 260, "800,00")  # the subtotal no longer vouches for the correction
    rows[15] = (850, 300, "800,00")
    assert run(page(rows, width=1100)).line_items[0].amount != "779.00"


def test_total_without_a_readable_label_comes_from_cash_minus_change() -> None:
    text = page(
        [(10, 10, "KEDAI ABC"), (10, 40, "ITEM A"), (300, 40, "30.00"), (10, 70, "TO :"), (300, 70, "43.00"),
         (10, 100, "CASH"), (300, 100, "50.00"), (10, 130, "CHANGE"), (300, 130, "7.00")]
    )
    assert run(text, fields={"total"}).fields["total"].value == "43.00"


def test_vendor_from_a_one_line_sender_address() -> None:
    text = page([(10, 10, "QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen"), (10, 60, "Rechnung"), (10, 90, "Rechnungsnr. 30064443")])
    got = values(run(text, fields={"vendor_name", "invoice_number"}))
    assert got["vendor_name"] == "QualityHosting AG" and got["invoice_number"] == "30064443"


def test_the_address_of_a_one_line_sender_is_the_rest_of_that_line_not_the_customer_below() -> None:
    text = page(
        [
            (40, 20, "Müller & Söhne GmbH · Lindenstraße 3 · 20095 Hamburg · USt-IdNr. DE123456789"),
            (40, 80, "Kunde GmbH"), (40, 110, "Parkweg 9"), (40, 140, "80331 München"),
            (400, 80, "Rechnung Nr. 2024-117"), (380, 350, "Gesamt"), (500, 350, "571,20 €"),
        ],
        width=900,
    )
    got = values(run(text))
    assert (got["vendor_name"], got["vendor_address"]) == ("Müller & Söhne GmbH", "Lindenstraße 3, 20095 Hamburg")


def test_labels_with_ocr_slips_still_match() -> None:
    text = page([(10, 10, "SHOP"), (10, 40, "Subtotai"), (300, 40, "10.00"), (10, 70, "GST"), (300, 70, "0.60"), (10, 100, "TOTAL"), (300, 100, "10.60")])
    got = values(run(text, fields={"subtotal", "tax", "total"}))
    assert (got["subtotal"], got["tax"], got["total"]) == ("10.00", "0.60", "10.60")


@pytest.mark.parametrize(
    ("line", "expected"),
    [("#195360 01/06/2018".replace(" ", ""), "2018-06-01"), ("27032018 No CS-20243", "2018-03-27"), ("18:1524/05/18", "2018-05-24")],
)
def test_glued_or_compact_dates_are_a_low_confidence_fallback(line: str, expected: str) -> None:
    found = run(page([(10, 10, "SHOP SDN BHD"), (10, 40, line), (10, 70, "TOTAL 5.00")]), fields={"date"}).fields["date"]
    regular = run(page([(10, 10, "SHOP SDN BHD"), (10, 40, "Date: 01/06/2018"), (10, 70, "TOTAL 5.00")]), fields={"date"}).fields["date"]
    assert found.value == expected and found.confidence < regular.confidence


def test_a_table_continued_on_the_next_page_keeps_its_items() -> None:
    def lines(rows):
        return sort_reading_order([Line.from_text(t, (x, y, x + 10 * len(t), y + 20)) for x, y, t in rows])

    header = [(60, 100, "Description"), (500, 100, "Qty"), (650, 100, "Price"), (850, 100, "Amount")]
    page1 = header + [(60, 140, "Paper"), (500, 140, "2"), (650, 140, "3.00"), (850, 140, "6.00")]
    page2 = header + [(60, 140, "Toner"), (500, 140, "1"), (650, 140, "9.50"), (850, 140, "9.50"),
                      (700, 220, "Total"), (850, 220, "15.50"), (60, 300, "VAT summary"), (500, 300, "Rate"), (850, 300, "Amount"),
                      (60, 330, "Zero rate"), (500, 330, "0.00"), (850, 330, "15.50")]
    text = DocumentText([PageText(1, 1100, 1400, lines(page1), "ocr"), PageText(2, 1100, 1400, lines(page2), "ocr")])
    items = run(text).line_items
    assert [(i.description, i.amount, i.page) for i in items] == [("Paper", "6.00", 1), ("Toner", "9.50", 2)]


def _german_table(total_row: tuple[float, float, str], with_tax: bool = False) -> DocumentText:
    rows = [
        (60, 100, "Pos."), (150, 100, "Menge Beschreibung"), (800, 100, "VK-Preis"), (1000, 100, "Zeilenbetrag"),
        (800, 125, "MwSt."),  # the header's second line: not a tax row ending the table
        (60, 160, "1"), (150, 160, "2"), (200, 160, "Exchange 2010 Postfach"), (800, 160, "3,50"), (1000, 160, "7,00"),
        (200, 185, "Grundgebühr pro Einheit"),
        (200, 210, "01.05.14-31.05.14"),
        (60, 250, "2"), (150, 250, "1"), (200, 250, "Speicher 50 GB"), (800, 250, "5,39"), (1000, 250, "5,39"),
        (200, 275, "01.05.14-31.05.14"),
    ]
    if with_tax:
        rows += [(800, 330, "MwSt. 19%"), (1000, 330, "2,36")]
    rows.append(total_row)
    return page(rows, width=1300)


def test_description_right_of_quantity_and_periods_are_not_numbers() -> None:
    items = run(_german_table((800, 360, "Total EUR 12,39"))).line_items
    assert [(i.description, i.quantity, i.unit_price, i.amount) for i in items] == [
        ("Exchange 2010 Postfach Grundgebühr pro Einheit 01.05.14-31.05.14", "2", "3.50", "7.00"),
        ("Speicher 50 GB 01.05.14-31.05.14", "1", "5.39", "5.39"),
    ]


def test_subtotal_is_the_total_when_untaxed_items_add_up_to_it() -> None:
    result = run(_german_table((800, 360, "Total EUR 12,39")))
    assert values(result)["subtotal"] == "12.39"
    # items that do not add up to the total, or a tax on the page: no subtotal is inferred
    assert "subtotal" not in values(run(_german_table((800, 360, "Total EUR 13,00"))))
    taxed = values(run(_german_table((800, 360, "Total EUR 14,75"), with_tax=True)))
    assert taxed.get("subtotal") != "14.75"


def test_address_keeps_the_part_before_a_phone_and_reads_misread_commas() -> None:
    text = page(
        [
            (100, 40, "MOONLIGHT CAKE HOUSE SDN BHD"),
            (80, 70, "No.1, Jalan Permas 10/5. Bandar Baru Permas Jaya"),
            (80, 100, "81750 Johor Bahru, Johor. Tel No.: 07-387 3322"),
            (100, 130, "TAXINVOICE"),
            (80, 300, "TOTAL 15.40"),
        ]
    )
    assert values(run(text))["vendor_address"] == "No.1, Jalan Permas 10/5, Bandar Baru Permas Jaya 81750 Johor Bahru, Johor."


def test_address_keeps_a_branch_line_and_drops_a_lone_quote() -> None:
    text = page(
        [
            (100, 40, "99 SPEED MART S/B (519537-X)"),
            (100, 70, "LOT P.T. 33198, BATU 4"),
            (100, 100, 'JALAN KAPAR, "MUKIM KAPAR'),
            (100, 130, "42100 KLANG, SELANGOR"),
            (120, 160, "1320-TMN BATU"),
            (100, 190, "GST ID. NO: 000181747712"),
            (80, 300, "TOTAL 15.40"),
        ]
    )
    assert values(run(text))["vendor_address"] == "LOT P.T. 33198, BATU 4 JALAN KAPAR, MUKIM KAPAR 42100 KLANG, SELANGOR 1320-TMN BATU"


@pytest.mark.parametrize("branch", ["1076-IJOK", "(MR DIY TESCO TERBAU)"])
def test_a_branch_line_closing_the_address_is_kept(branch: str) -> None:
    text = page(
        [
            (100, 40, "99 SPEED MART S/B (519537-X)"),
            (100, 70, "LOT P.T. 2811, JALAN ANGSA,"),
            (100, 100, "41150 KLANG, SELANGOR"),
            (120, 130, branch),
            (100, 160, "GST ID. NO : 000181747712"),
            (80, 300, "TOTAL 2.50"),
        ]
    )
    assert values(run(text))["vendor_address"] == f"LOT P.T. 2811, JALAN ANGSA, 41150 KLANG, SELANGOR {branch}"


def test_address_printed_above_the_operating_company() -> None:
    text = page(
        [
            (200, 10, "TAX INVOICE"),
            (150, 40, "BHPETROL PERMAS JAYA 2"),
            (170, 70, "LOT PTD 101051"),
            (160, 100, "JALAN PERMAS 10/10"),
            (160, 130, "81750 MASAI, JOHOR"),
            (150, 160, "ESJAY FUEL ENTERPRISE"),
            (120, 190, "CO. REG. NO: 001011128-T"),
            (20, 230, "30-06-2018 09:09:49"),
            (80, 300, "TOTAL 50.00"),
        ]
    )
    found = values(run(text))
    assert found["vendor_name"] == "ESJAY FUEL ENTERPRISE"
    assert found["vendor_address"] == "LOT PTD 101051 JALAN PERMAS 10/10 81750 MASAI, JOHOR"


def test_a_name_with_its_registration_number_in_parentheses_is_the_vendor() -> None:
    text = page(
        [
            (100, 40, "DION REALTIES SDN BHD (CO. NO:20154-T)"),
            (100, 70, "(GST REGISTRATION NO : 000650247680)"),
            (100, 100, "MENARA DION #02-03, LEVEL 2,"),
            (100, 130, "27, JALAN SULTAN ISMAIL,"),
            (100, 160, "50250 KUALA LUMPUR."),
            (80, 300, "TOTAL 5.00"),
        ]
    )
    assert values(run(text))["vendor_name"] == "DION REALTIES SDN BHD"


def test_a_scribble_beside_the_name_is_not_joined_to_it() -> None:
    rows = [(100, 70, "MR. D.I.Y. (M) SDN BHD"), (100, 100, "LOT 1851-A, JALAN KPB 6, 43300 SERI KEMBANGAN"), (80, 300, "TOTAL 9.00")]
    assert values(run(page([(450, 45, "Bl ance"), *rows])))["vendor_name"] == "MR. D.I.Y. (M) SDN BHD"
    assert values(run(page([(110, 45, "KEDAI"), *rows])))["vendor_name"] == "KEDAI MR. D.I.Y. (M) SDN BHD"  # above it: joined


def test_gst_included_in_the_total_is_the_tax_not_the_total() -> None:
    text = page(
        [
            (100, 40, "KING'S CONFECTIONERY S/B"),
            (20, 300, "BUN"),
            (420, 300, "25.15"),
            (420, 340, "25.15"),
            (100, 380, "Change"),
            (420, 380, "0.00"),
            (60, 420, "(Total Included GST @ 6% : 1.42)"),
        ]
    )
    found = values(run(text))
    assert found["tax"] == "1.42"
    assert found["total"] == "25.15"  # the amount printed twice above the change


def test_the_name_ends_at_its_registration_number_and_a_logo_word_is_not_joined() -> None:
    rows = [(100, 100, "LOT G29 & G30, JALAN BESAR, 81100 JOHOR BAHRU"), (80, 300, "TOTAL 9.00")]
    named = page([(100, 70, "MYNEWS RETAIL SB (306295-X) FKA BISON STORES SB"), *rows])
    assert values(run(named))["vendor_name"] == "MYNEWS RETAIL SB"
    logo = page([(150, 40, "LAVENDER"), (100, 70, "LAVENDER CONFECTIONERY & BAKERY S/B"), *rows])
    assert values(run(logo))["vendor_name"] == "LAVENDER CONFECTIONERY & BAKERY S/B"


def test_address_skips_the_company_behind_the_brand_and_ids_and_stops_at_a_number_label() -> None:
    brand = page(
        [
            (100, 40, "AA PHARMACY"),
            (100, 70, "SUBANG HEALTHCARE SDN BHD"),
            (100, 100, "(NO. 1118258-K)"),
            (100, 130, "B-8, JALAN SS15/4D,"),
            (100, 160, "47500 SUBANG JAYA, SELANGOR"),
            (100, 190, "PREPAY CHIT NUMBER"),
            (100, 220, "29721"),
            (80, 300, "TOTAL 9.00"),
        ]
    )
    assert values(run(brand))["vendor_address"] == "B-8, JALAN SS15/4D, 47500 SUBANG JAYA, SELANGOR"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(150, 20, "Bäckerei Müller GmbH"), (150, 50, "Hauptstraße 12"), (150, 80, "80331 München")], "Hauptstraße 12 80331 München"),
        ([(150, 20, "Albert Heijn"), (150, 50, "Kalverstraat 10"), (150, 80, "1012 NX Amsterdam")], "Kalverstraat 10 1012 NX Amsterdam"),
        ([(150, 20, "BAR CENTRALE SNC"), (150, 50, "Via Roma 5"), (150, 80, "00184 Roma RM")], "Via Roma 5 00184 Roma RM"),
    ],
)
def test_streets_named_by_compound_words_or_a_leading_street_word(rows: list, expected: str) -> None:
    assert values(run(page([*rows, (20, 300, "TOTAL 5,60")])))["vendor_address"] == expected


def test_ids_printed_in_digit_groups_or_after_a_qualifying_word() -> None:
    text = page(
        [
            (150, 20, "CARREFOUR MARKET"),
            (150, 50, "SIRET 123 456 789 00012"),
            (20, 100, "Factura simplificada: T-000123"),
            (20, 130, "Invoice date: 01/02/2024"),
            (20, 300, "TOTAL 3,45 €"),
        ]
    )
    found = values(run(text))
    assert (found["vendor_tax_id"], found["invoice_number"]) == ("123 456 789 00012", "T-000123")


def test_two_column_invoice_header_keeps_the_sender_address_apart_from_the_invoice_data() -> None:
    text = page(
        [
            (40, 20, "Northwind Traders Ltd"), (400, 20, "INVOICE"),
            (40, 50, "45 King Street"), (400, 50, "Invoice #: 2024-0117"),
            (40, 80, "London EC2V 8AU"), (400, 80, "Date: 12 March 2024"),
            (40, 110, "VAT Reg No: GB 123 4567 89"), (400, 110, "PO Number: PO-88231"),
            (40, 200, "DESCRIPTION"), (300, 200, "QTY"), (500, 200, "AMOUNT"),
            (40, 230, "Consulting hours"), (300, 230, "2"), (500, 230, "300.00"),
            (380, 300, "Total Due"), (500, 300, "£300.00"),
        ],
        width=700,
    )
    found = values(run(text))
    assert found["vendor_address"] == "45 King Street London EC2V 8AU"
    assert (found["invoice_number"], found["po_number"], found["vendor_tax_id"]) == ("2024-0117", "PO-88231", "GB 123 4567 89")


def test_the_address_block_ends_at_a_blank_band() -> None:
    text = page([(40, 20, "ACME CORP."), (40, 50, "500 Market St, Suite 200"), (40, 80, "San Francisco, CA 94105"),
                 (40, 200, "Widget A"), (40, 230, "Widget B"), (380, 300, "BALANCE DUE $173.60")])
    assert values(run(text))["vendor_address"] == "500 Market St, Suite 200 San Francisco, CA 94105"


@pytest.mark.parametrize(
    ("label", "value", "expected"),
    [
        ("TOTAL (GST included)", "9.00", {"total": "9.00", "tax": None}),  # a total that says its tax is in it
        ("GST @6% INCLUDED IN TOTAL", "0.51", {"total": "9.00", "tax": "0.51"}),  # 6/106 of 9.00
        ("Total incl. VAT 20%", "9.00", {"total": "9.00", "tax": None}),  # a rate alone does not make a tax
    ],
)
def test_a_tax_included_in_the_total_is_told_from_the_total_by_its_rate(label: str, value: str, expected: dict) -> None:
    rows = [(100, 20, "SHOP SDN BHD"), (20, 200, "ITEM"), (420, 200, "9.00"), (20, 240, "TOTAL"), (420, 240, "9.00"), (20, 280, label), (420, 280, value)]
    found = values(run(page(rows)))
    assert {k: found.get(k) for k in expected} == expected


def test_the_legal_name_above_its_registration_number_beats_the_brand_line_above_it() -> None:
    text = page(
        [
            (60, 20, "FACE TO FACE NOODLE HOUSE"),
            (120, 50, "FTOF NOODLE HOUSE"),
            (140, 80, "(002049088-U)"),
            (100, 110, "No.25, Jalan Metro Perdana Barat 2,"),
            (100, 140, "52100 Kuala Lumpur."),
            (80, 300, "TOTAL 31.60"),
        ]
    )
    assert values(run(text))["vendor_name"] == "FTOF NOODLE HOUSE"


def test_a_place_name_in_the_name_line_over_its_suffix_is_still_joined() -> None:
    text = page([(100, 40, "NANDO'S CHICKENLAND MALAYSIA"), (150, 70, "SDN BHD"), (100, 100, "UNIT G-13, GROUND FLOOR, NO.1"),
                 (100, 130, "JLN KIARA, 50480 KUALA LUMPUR"), (80, 300, "TOTAL 31.60")])
    assert values(run(text))["vendor_name"] == "NANDO'S CHICKENLAND MALAYSIA SDN BHD"


def test_the_total_after_cash_rounding_is_the_amount_paid() -> None:
    rows = [(100, 20, "AEON CO. (M) BHD"), (20, 200, "ITEM"), (420, 200, "88.97"), (20, 240, "SUB-TOTAL"), (420, 240, "88.97"),
            (20, 270, "TOTAL SALES INCL GST"), (420, 270, "88.97"), (20, 300, "ROUNDING ADJ"), (420, 300, "-0.02"),
            (20, 330, "TOTAL AFTER ADJ INCL GST"), (420, 330, "88.95"), (20, 360, "CASH"), (420, 360, "100.00")]
    assert values(run(page(rows)))["total"] == "88.95"


def test_an_accepted_total_is_the_amount_tendered() -> None:
    rows = [(100, 20, "SANJUNG REALITI SDN. BHD."), (20, 200, "010100 PAY PARKING TICKET"), (20, 230, "1.50 RM"),
            (20, 270, "TOTAL AMOUNT"), (20, 300, "1.50 RM"), (20, 330, "ACCEPTED TOTAL"), (20, 360, "2.00 RM"),
            (20, 390, "CHANGE"), (20, 420, "0.50 RM")]
    assert values(run(page(rows)))["total"] == "1.50"


def test_split_taxes_add_up_and_taxable_value_is_the_subtotal() -> None:
    text = page(
        [
            (40, 20, "Sharma Electronics Pvt. Ltd."), (40, 50, "12, MG Road, Bengaluru, Karnataka 560001"),
            (40, 150, "Description"), (300, 150, "Qty"), (380, 150, "Rate"), (500, 150, "Amount"),
            (40, 180, "LED Monitor"), (300, 180, "2"), (380, 180, "8,500.00"), (500, 180, "17,000.00"),
            (380, 240, "Taxable Value"), (500, 240, "17,000.00"), (380, 270, "CGST @9%"), (500, 270, "1,530.00"),
            (380, 300, "SGST @9%"), (500, 300, "1,530.00"), (380, 330, "Grand Total"), (500, 330, "20,060.00"),
        ],
        width=700,
    )
    result = run(text)
    found = values(result)
    assert (found["subtotal"], found["tax"], found["total"]) == ("17000.00", "3060.00", "20060.00")
    assert [item.amount for item in result.line_items] == ["17000.00"]  # the taxable value row ends the table


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(40, 20, "Pastelaria Central, Lda."), (40, 50, "Rua Augusta 100"), (40, 80, "1100-053 Lisboa")], "Rua Augusta 100 1100-053 Lisboa"),
        ([(150, 20, "NTUC FairPrice Co-operative Ltd"), (150, 50, "1 Jurong West Central 2 #01-01"), (150, 80, "Singapore 648886"),
          (150, 110, "GST Reg No: M2-0001234-5")], "1 Jurong West Central 2 #01-01 Singapore 648886"),
    ],
)
def test_postcodes_that_look_like_ids_and_unit_numbers(rows: list, expected: str) -> None:
    assert values(run(page([*rows, (20, 300, "TOTAL 3,20")])))["vendor_address"] == expected


def test_a_title_with_its_space_dropped_ends_the_address() -> None:
    text = page(
        [
            (100, 40, "KEDAI MAJU SDN BHD"),
            (80, 70, "12, JALAN TAMPOI 7/4, 81200 JOHOR BAHRU, JOHOR"),
            (100, 100, "TAXINVOICE"),
            (80, 300, "TOTAL 15.40"),
        ]
    )
    assert values(run(text))["vendor_address"] == "12, JALAN TAMPOI 7/4, 81200 JOHOR BAHRU, JOHOR"


def test_company_suffix_slips_are_fixed_in_the_vendor_name() -> None:
    for printed, name in [("AMANO MALAYSIA SON BHD", "AMANO MALAYSIA SDN BHD"), ("99 SPEED MART 5/B", "99 SPEED MART S/B"),
                          ("MOONLIGHT CAKE HOUSE SDN BHD BOZTZ5-U", "MOONLIGHT CAKE HOUSE SDN BHD"),
                          ("UNIHAKKA INTERNATIONAL-SDN BHD", "UNIHAKKA INTERNATIONAL SDN BHD"),
                          ("AIK HUAT ENTERPRISE.(SETIA ALAM).SDN BHD", "AIK HUAT ENTERPRISE (SETIA ALAM) SDN BHD"),
                          ("POPULAR BOOK CO. (M) SDN BHD", "POPULAR BOOK CO. (M) SDN BHD"),
                          ("MOONLIGHT CAKE HOUSE SDN DHD BOZTZO-U", "MOONLIGHT CAKE HOUSE SDN BHD"),
                          ("TARGET STORE T-1234", "TARGET STORE T-1234"),  # a store number, not a registration number
                          ("MR.D.I.Y. (M) SDN BHD", "MR. D.I.Y. (M) SDN BHD"),  # the space after a title, dropped by the OCR
                          ("STARBUCKS STORE #10208", "STARBUCKS STORE #10208")]:  # a store number printed with its name
        text = page([(100, 40, printed), (80, 70, "NO 5, JALAN BESAR, 43000 KAJANG"), (80, 300, "TOTAL 1.00")])
        assert values(run(text))["vendor_name"] == name


@pytest.mark.parametrize(
    ("number", "issued", "due", "expected"),
    [
        # the due date falls before the issue date only when read year-month-day
        ("FA11/2017/0057", "2017-11-04", "2017-10-07", ("2017-04-11", "2017-07-10")),
        # both readings are in order; the invoice number's month decides
        ("FA02/2016/072807", "2016-06-02", "2016-06-05", ("2016-02-06", "2016-05-06")),
        ("FA06/2016/072807", "2016-06-02", "2016-06-05", ("2016-06-02", "2016-06-05")),
        # nothing decides: year-month-day, the ISO order, stays
        ("FA-000123", "2016-06-02", "2016-06-05", ("2016-06-02", "2016-06-05")),
    ],
)
def test_year_first_dates_follow_the_page_evidence(number: str, issued: str, due: str, expected: tuple[str, str]) -> None:
    text = page([(10, 10, "ACME SARL"), (10, 40, f"N° Facture # - {number}"), (10, 70, f"Date - {issued}"),
                 (10, 100, f"A régler avant: {due}"), (10, 130, "TOTAL 5,00 €")])
    got = values(run(text, fields={"date", "due_date"}))
    assert (got["date"], got["due_date"]) == expected


def test_two_iso_dates_read_as_one_token_are_both_found() -> None:
    text = page([(10, 10, "ACME SARL"), (10, 40, "Date: 2016-08-202016-09-19BC06216"), (10, 100, "TOTAL 5,00 €")])
    from extraction.normalize.dates import find_dates

    assert [d.value.isoformat() for d in find_dates("2016-08-202016-09-19BC06216")] == ["2016-08-20", "2016-09-19"]
    assert values(run(text, fields={"date"}))["date"] == "2016-08-20"


def test_address_starts_at_the_house_number_and_ends_at_the_country() -> None:
    text = page(
        [
            (100, 40, "IKANO HANDEL SDN BHD"),
            (120, 70, "IKEA Cheras"),  # the outlet's name, printed above its street
            (100, 100, "No 8, Jalan 7/118B, Desa Tun Razak"),
            (100, 130, "56000 Kuala Lumpur, Malaysia"),
            (120, 160, "SUNWAY VELOCITY"),  # a branch name after the country
            (80, 300, "TOTAL 15.40"),
        ]
    )
    assert values(run(text))["vendor_address"] == "No 8, Jalan 7/118B, Desa Tun Razak 56000 Kuala Lumpur, Malaysia"


def test_a_postcode_glued_after_a_comma_still_makes_an_address() -> None:
    text = page([(100, 40, "LITTLE CRAVINGS SDN BHD"), (100, 70, "HQ:7,Jln SS21/34,47400 PJ"), (80, 300, "TOTAL 5.00")])
    assert values(run(text))["vendor_address"] == "HQ:7,Jln SS21/34,47400 PJ"


def test_a_full_stop_before_a_postcode_or_joining_a_number_to_a_word_reads_as_a_comma() -> None:
    assert repair_misread_commas("BANDAR BARU PERMAS JAYA. 81750.MASAI") == "BANDAR BARU PERMAS JAYA, 81750,MASAI"
    assert repair_misread_commas("JALAN IPOH BATU 5. 51200 KUALA LUMPUR") == "JALAN IPOH BATU 5, 51200 KUALA LUMPUR"
    # abbreviations and decimal points stay as printed
    assert repair_misread_commas("NO. 12345 JLN. 4000 LOT 5.51200") == "NO. 12345 JLN. 4000 LOT 5.51200"
    assert repair_misread_commas("SHAH ALAM, SEL.") == "SHAH ALAM, SEL."


def test_a_stop_or_colon_after_a_unit_code_or_number_before_a_word_reads_as_a_comma() -> None:
    """What tilted and small lines do to a comma: its tail lost, it reads as a stop or a colon."""
    assert repair_misread_commas("JALAN SEPADU C 25/C. SECTION 25") == "JALAN SEPADU C 25/C, SECTION 25"
    assert repair_misread_commas("LEVEL G2, BLOCK D1. SOLARIS DUTAMAS") == "LEVEL G2, BLOCK D1, SOLARIS DUTAMAS"
    assert repair_misread_commas("CITTA MALL NO 1: JLN PJU 1A/4") == "CITTA MALL NO 1, JLN PJU 1A/4"
    # a colon after a label, between digits, or before a number stays; so does an abbreviation's stop
    assert repair_misread_commas("NO: G3, JALAN 2 TEL: 03-1234 AT 10:30 AM") == "NO: G3, JALAN 2 TEL: 03-1234 AT 10:30 AM"
    assert repair_misread_commas("HQ: 7,Jln SS21/34") == "HQ: 7,Jln SS21/34"
    assert repair_misread_commas("NO.5. JALAN BESAR") == "NO.5. JALAN BESAR"
