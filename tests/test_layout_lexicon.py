"""Keyword lexicon: languages, accents, OCR slips."""

import pytest

import re

from extraction.extractors.layout.lexicon import cue_pattern, find_keyword, fold, load_lexicon, month_names


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


def test_the_months_are_all_named_and_the_payment_words_are_there() -> None:
    assert set(month_names().values()) == set(range(1, 13))
    assert "payment" in load_lexicon()["fields"]


@pytest.mark.parametrize("word", ["december", "decembre", "dezember", "diciembre", "dicembre", "disember", "dezembro"])
def test_every_lexicon_language_names_december(word: str) -> None:
    assert month_names()[word] == 12


@pytest.mark.parametrize(
    ("cue", "text", "matches"),
    [
        ("street_suffixes", "hauptstraße", True), ("street_suffixes", "str.", True), ("street_first_words", "v.le", True),
        ("street_first_words", "vxle", False), ("malaysian_company_suffix", "sdn. bhd", True), ("quantity_units", "stück", True),
    ],
)
def test_cue_lists_match_their_words_literally(cue: str, text: str, matches: bool) -> None:
    """Cue words are data matched as written: a dot in "v.le" is a dot, not any character."""
    assert bool(re.fullmatch(rf"[a-z]*(?:{cue_pattern(cue)})", text)) is matches
