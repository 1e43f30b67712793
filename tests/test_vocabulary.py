"""The label vocabulary: complete as data, and matched however labels are printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.vocabulary import CORE_LANGUAGES, Vocabulary, VocabularyError, fold, load_vocabulary, match_labels
from extraction.vocabulary.__main__ import stats_table
from extraction.vocabulary.text import skeleton, tokenize

REQUIRED_FIELDS = {
    "total", "amount_due", "subtotal", "tax", "tax_rate", "tip", "discount", "rounding", "tendered", "change",
    "invoice_number", "receipt_number", "po_number", "customer_number", "contract_number", "date", "due_date",
    "delivery_date", "time", "currency", "payment_method", "vendor_tax_id", "iban", "credit_note",
    "column_description", "column_quantity", "column_unit", "column_unit_price", "column_amount", "column_discount", "column_tax_rate",
}


def fields_of(text: str, **options: object) -> set[str]:
    return {m.field for m in match_labels(text, **options)}  # type: ignore[arg-type]


def only(text: str, field: str, **options: object):
    found = [m for m in match_labels(text, **options) if m.field == field]  # type: ignore[arg-type]
    assert len(found) == 1, f"{text!r}: expected one {field} label, got {[(m.field, m.text) for m in match_labels(text)]}"
    return found[0]


# ---------------------------------------------------------------------- the data


def test_every_field_has_labels_in_every_core_language() -> None:
    vocabulary = load_vocabulary()
    assert REQUIRED_FIELDS <= set(vocabulary.fields)
    table = vocabulary.stats()
    for name in vocabulary.fields:
        missing = [lang for lang in CORE_LANGUAGES if table[name][lang] == 0]
        assert not missing, f"{name} has no labels in {missing}"
        assert vocabulary.fields[name].standards, f"{name} does not say which standard terms it was built from"


@pytest.mark.parametrize(
    ("phrase", "field"),
    [
        ("Gesamtbetrag", "total"), ("Gesamtsumme", "total"), ("Summe", "total"), ("Endbetrag", "total"), ("Rechnungsbetrag", "total"),
        ("Zahlbetrag", "amount_due"), ("zu zahlen", "amount_due"), ("Brutto", "total"), ("Netto", "subtotal"), ("Nettobetrag", "subtotal"),
        ("MwSt.", "tax"), ("USt.", "tax"), ("Mehrwertsteuer", "tax"), ("Umsatzsteuer", "tax"), ("Rechnungsnummer", "invoice_number"),
        ("Rechnungs-Nr.", "invoice_number"), ("Re.-Nr.", "invoice_number"), ("Kundennummer", "customer_number"), ("Kd.-Nr.", "customer_number"),
        ("Bestellnummer", "po_number"), ("Auftragsnummer", "po_number"), ("Fälligkeitsdatum", "due_date"), ("zahlbar bis", "due_date"),
        ("Lieferdatum", "delivery_date"), ("Leistungsdatum", "delivery_date"), ("Gutschrift", "credit_note"),
        ("Net à payer", "amount_due"), ("Total HT", "subtotal"), ("Total TTC", "total"), ("Date d'échéance", "due_date"), ("N° TVA intracommunautaire", "vendor_tax_id"),
        ("Base imponible", "subtotal"), ("Fecha de vencimiento", "due_date"), ("Imponibile", "subtotal"), ("Partita IVA", "vendor_tax_id"),
        ("Factuurnummer", "invoice_number"), ("Vervaldatum", "due_date"), ("Valor a pagar", "amount_due"), ("Número de contribuinte", "vendor_tax_id"),
        ("Do zapłaty", "amount_due"), ("Termin płatności", "due_date"), ("Att betala", "amount_due"), ("Förfallodatum", "due_date"),
        ("I alt", "total"), ("Forfaldsdato", "due_date"), ("Jumlah", "total"), ("Tarikh akhir", "due_date"), ("Rounding Adj", "rounding"),
        ("Öresavrundning", "rounding"), ("Wechselgeld", "change"), ("Cambio", "change"), ("Espèces", "tendered"), ("Trinkgeld", "tip"),
        ("Skonto", "discount"), ("Einzelpreis", "column_unit_price"), ("Menge", "column_quantity"), ("Désignation", "column_description"),
        ("IBAN", "iban"), ("Vertragsnummer", "contract_number"), ("Währung", "currency"), ("Zahlungsart", "payment_method"), ("Uhrzeit", "time"),
    ],
)
def test_labels_of_real_invoices_name_their_field(phrase: str, field: str) -> None:
    assert field in fields_of(phrase)


def test_payment_words_carry_the_service_value() -> None:
    means = {m.text: m.meaning for m in match_labels("EC-Karte  Barzahlung  Virement  MobilePay  Gutschein", fields=["payment_means"])}
    assert means == {"EC-Karte": "card", "Barzahlung": "cash", "Virement": "bank_transfer", "MobilePay": "mobile", "Gutschein": "voucher"}


def test_stats_table_counts_every_language() -> None:
    table = stats_table()
    header = table.splitlines()[0]
    assert all(f" {lang} " in header for lang in CORE_LANGUAGES)
    total = int(table.splitlines()[-1].rsplit("|", 2)[-2])
    assert total == len(load_vocabulary().entries) > 2000


# ---------------------------------------------------------------------- folding and tokens


def test_fold_and_skeleton() -> None:
    assert fold("FÄLLIGKEIT Straße Œuvre Łódź") == "falligkeit strasse oeuvre lodz"
    assert skeleton("Re.-Nr.") == skeleton("RE NR") == skeleton("re-nr") == "renr"
    assert skeleton("Nº") == skeleton("n°") == "n°"
    words = tokenize("T0TAL INV2024 n°5")
    assert [(t.text, t.kind, t.ocr) for t in words] == [("total", "word", True), ("inv", "word", False), ("2024", "number", False), ("n", "word", False), ("°", "symbol", False), ("5", "number", False)]


# ---------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("printed", "field"),
    [
        ("FALLIGKEITSDATUM", "due_date"), ("Echéance", "due_date"), ("ÉCHÉANCE", "due_date"), ("RE NR", "invoice_number"), ("Rechnungs Nr", "invoice_number"),
        ("GRANDTOTAL", "total"), ("SUB TOTAL", "subtotal"), ("Sub-Total", "subtotal"), ("InvoiceNo", "invoice_number"), ("Nº da fatura", "invoice_number"),
    ],
)
def test_case_accents_spacing_and_punctuation_do_not_matter(printed: str, field: str) -> None:
    match = only(printed, field)
    assert match.score == 1.0 and not match.fuzzy


def test_offsets_point_into_the_original_text() -> None:
    text = "Straße 1\nFälligkeitsdatum:  12.03.2024\nRechnungs-Nr. 4711"
    for m in match_labels(text):
        assert text[m.start : m.end] == m.text
    due = only(text, "due_date")
    assert (due.text, due.line, due.value_text) == ("Fälligkeitsdatum", 1, "12.03.2024")


def test_glued_values_and_values_on_the_same_line() -> None:
    assert only("n°562044387", "invoice_number").value_text == "562044387"
    assert only("TOTAL9.00", "total").value_text == "9.00"
    assert only("Invoice No: INV-7 / 2024", "invoice_number").value_token == "INV-7"
    line = "Date: 12/03/2024   Invoice No: 4711"
    assert only(line, "date").value_text == "12/03/2024"
    assert only(line, "invoice_number").value_text == "4711"
    assert only("Rechnungsnummer\n4711", "invoice_number").value_text is None  # the value is on the next line: geometry's job


def test_ocr_digits_and_slips() -> None:
    ocr = only("T0TAL RM 12.00", "total")
    assert ocr.score == pytest.approx(0.95) and not ocr.fuzzy
    slip = only("Rechnungsnumrner 4711", "invoice_number")
    assert slip.fuzzy and 0.8 <= slip.score < 1.0 and slip.value_text == "4711"
    assert "invoice_number" not in fields_of("Rechnungsnumrner 4711", fuzzy=False)
    assert "tendered" not in fields_of("Contact: John")  # short words are never matched fuzzily


def test_the_longest_label_wins_and_excludes_veto_generic_words() -> None:
    assert fields_of("Total excl. VAT 100.00") == {"subtotal"}
    assert "total" in fields_of("Total incl. VAT 120.00")
    assert "total" not in fields_of("Total items: 3")
    assert "total" not in fields_of("TOTAL (EXCL GST) 10.00")
    assert "total" in fields_of("TOTAL (INCL GST) 10.60")
    assert "total" in fields_of("Total 3 items 12.00")  # a number ends the label's words
    assert fields_of("Due date 01.04.2024") == {"due_date"}
    assert "tax" not in fields_of("VAT number GB123456789")
    both = {m.field for m in match_labels("Total", keep_overlaps=True)}
    assert {"total", "column_amount"} <= both


def test_fields_and_languages_restrict_the_vocabulary() -> None:
    assert fields_of("Rechnungsnummer 1  Total 2", fields=["total"]) == {"total"}
    assert only("Montant TTC 12,00", "total").lang == "fr"
    assert not match_labels("Montant TTC 12,00", languages=["de"])
    total = only("Total 12,00", "total")
    assert total.lang == "en" and {"fr", "es", "pt"} <= set(total.languages)


# ---------------------------------------------------------------------- bad data


def write_field(directory: Path, name: str, data: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_small_vocabulary_of_ones_own(tmp_path: Path) -> None:
    write_field(tmp_path, "total", {"field": "total", "value": "amount", "labels": {"fi": ["yhteensä", {"phrase": "summa", "strength": "secondary"}]}})
    vocabulary = Vocabulary.from_directory(tmp_path)
    assert vocabulary.phrases("total", "fi") == ["yhteensä", "summa"]
    assert [(m.field, m.lang, m.strength) for m in vocabulary.match("YHTEENSÄ 12,00 summa")] == [("total", "fi", "primary"), ("total", "fi", "secondary")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"field": "other", "value": "amount", "labels": {"en": ["total"]}}, "must name the file's field"),
        ({"field": "total", "value": "money", "labels": {"en": ["total"]}}, '"value" must be one of'),
        ({"field": "total", "value": "amount", "labels": {"en": [{"phrase": "total", "excludes": "@nope"}]}}, "names no set"),
        ({"field": "total", "value": "amount", "labels": {"en": [{"phrase": "total", "strength": "strong"}]}}, "primary or secondary"),
        ({"field": "total", "value": "amount", "labels": {"en": [{"text": "total"}]}}, 'non-empty "phrase"'),
    ],
)
def test_bad_files_are_reported_with_the_file(tmp_path: Path, data: dict, message: str) -> None:
    write_field(tmp_path, "total", data)
    with pytest.raises(VocabularyError, match=message) as raised:
        Vocabulary.from_directory(tmp_path)
    assert "total.json" in str(raised.value)


def test_a_label_with_a_number_is_refused(tmp_path: Path) -> None:
    write_field(tmp_path, "tax", {"field": "tax", "value": "amount", "labels": {"en": ["VAT 20%"]}})
    with pytest.raises(VocabularyError, match="no numbers"):
        Vocabulary.from_directory(tmp_path).match("VAT 20% 2.00")
