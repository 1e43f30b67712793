"""Keyword lexicon: languages, accents, OCR slips."""

import pytest

from extraction.extractors.layout.lexicon import find_keyword, fold, load_lexicon, month_names


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("Montant TTC", "total"), ("Gesamtbetrag", "total"), ("Totaalbedrag", "total"), ("Jumlah", "total"),
        ("Sous-total", "subtotal"), ("Zwischensumme", "subtotal"), ("Base imponible", "subtotal"),
        ("TVA 20%", "tax"), ("MwSt.", "tax"), ("IVA", "tax"), ("BTW", "tax"),
        ("Échéance", "due_date"), ("Fälligkeitsdatum", "due_date"), ("Vencimiento", "due_date"),
        ("Rechnungsnummer", "invoice_number"), ("N° facture", "invoice_number"),
        ("Subtotai", "subtotal"), ("Echéacnce", "due_date"),
    ],
)
def test_keywords_in_many_languages_and_with_ocr_slips(text: str, group: str) -> None:
    assert find_keyword(text, group) is not None


@pytest.mark.parametrize(("text", "group"), [("Service Charge", "change"), ("Totally", "total"), ("Date", "due_date")])
def test_keywords_do_not_match_unrelated_words(text: str, group: str) -> None:
    assert find_keyword(text, group) is None


def test_fold_strips_accents_and_case() -> None:
    assert fold("Échéance DÉTAIL") == "echeance detail"


def test_every_lexicon_language_names_all_twelve_months() -> None:
    names = month_names()
    assert set(names.values()) == set(range(1, 13))
    for word, month in {"december": 12, "decembre": 12, "dezember": 12, "diciembre": 12, "dicembre": 12, "disember": 12, "dezembro": 12}.items():
        assert names[word] == month
    assert "payment" in load_lexicon()["fields"]
