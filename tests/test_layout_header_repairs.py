"""OCR repairs that need no vocabulary entry for the shop's own name: a glued name split around
one unknown word, and accents folded only when the page's language prints none."""

from __future__ import annotations

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.extractors.layout.spelling import Vocabulary, correct_text, prints_accents, segment
from extraction.layout import DocumentText, Line, PageText, sort_reading_order

# common receipt words only: no shop name among them
COMMON = Vocabulary({"STATIONERY": 7, "SHOP": 2, "TRADING": 30, "HARDWARE": 20, "ENTERPRISE": 40, "MARKET": 6, "RESTAURANT": 25})


def test_a_glued_name_splits_around_the_one_word_no_vocabulary_knows() -> None:
    assert segment("SANYUSTATIONERYSHOP", COMMON) == ["SANYU", "STATIONERY", "SHOP"]
    assert segment("HARDWAREKWONGTRADING", COMMON) is None  # an unknown word in the middle: not proven
    assert segment("HONHWAHARDWARETRADING", COMMON) == ["HONHWA", "HARDWARE", "TRADING"]


def test_a_single_long_word_is_never_cut() -> None:
    for word in ("MARKETING", "STATIONERYX", "RESTAURANTS", "SHOPPING"):
        assert segment(word, COMMON) is None  # one known word and a scrap is not a name split


def test_accents_fold_when_the_page_prints_none() -> None:
    english = ["Gerbang Alaf Restäurants Sdn Bhd", "Level 6, Bangunan TH", "TAX INVOICE", "Total 12.00"]
    french = ["Boulangerie Hélène", "Téléphone 01 23", "Montant à payer", "Reçu n° 12", "Échéance 12/03"]
    assert not prints_accents(english)
    assert prints_accents(french)
    assert correct_text("Gerbang Alaf Restäurants", COMMON, fold_accents=True) == "Gerbang Alaf Restaurants"
    assert correct_text("Boulangerie Hélène", COMMON) == "Boulangerie Hélène"


def _receipt(name: str, others: list[str]) -> DocumentText:
    lines = [Line.from_text(name, (100, 40, 400, 70))]
    lines.append(Line.from_text("NO 12, JALAN SS 2/4, 47300 PETALING JAYA", (60, 80, 440, 100)))
    for i, text in enumerate(others):
        lines.append(Line.from_text(text, (60, 140 + 30 * i, 440, 160 + 30 * i)))
    return DocumentText([PageText(1, 500, 800, sort_reading_order(lines), "ocr")])


def test_the_extractor_folds_accents_on_pages_without_accented_language() -> None:
    fields = ["vendor_name"]
    plain = _receipt("KEDAI MÁJU SDN BHD", ["TOTAL 12.00", "CASH 20.00"])
    accented = _receipt("BÄCKEREI MÜLLER GMBH", ["Größe Menü", "Gebühr Straße", "Prüfung Über", "Schön Grün", "Summe 12,00"])
    read = RulesExtractor().extract([ExtractionRequest("a", plain, frozenset(fields)), ExtractionRequest("b", accented, frozenset(fields))])
    assert read[0].fields["vendor_name"].value == "KEDAI MAJU SDN BHD"
    assert read[1].fields["vendor_name"].value == "BÄCKEREI MÜLLER GMBH"
