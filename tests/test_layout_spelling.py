"""OCR slips in names and addresses, repaired against a vocabulary of receipt words."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.extractors.layout.spelling import (
    VOCABULARY_PATH,
    Vocabulary,
    correct_text,
    load_vocabulary,
    segment,
    words_on_several_lines,
)
from extraction.layout import DocumentText, Line, PageText, sort_reading_order

VOCAB = Vocabulary(
    {
        "JALAN": 400, "JLN": 50, "JIN": 2, "GERBANG": 5, "GUARDIAN": 5, "HEALTH": 9, "TAMAN": 300, "ALAM": 100, "SETIA": 60, "SANYU": 20, "STATIONERY": 30,
        "SHOP": 25, "SELANGOR": 240, "PETALING": 60, "JAYA": 150, "SRI": 20, "BHD": 300, "HARDWARE": 26,
        "BOOK": 10, "CENTRE": 10, "STORES": 8, "BALAKONG": 30, "LIAN": 4, "LAN": 3, "DINAR": 6, "GARDENIA": 40, "MALAYSIA": 21, "BAKERIES": 20, "ECHEANCE": 2, "LST": 9,
    }
)


@pytest.mark.parametrize(
    ("printed", "repaired"),
    [
        ("SANYUSTATIONERYSHOP", "SANYU STATIONERY SHOP"),  # spaces dropped in large type
        ("12, Jaian Taman", "12, Jalan Taman"),  # l read as i
        ("23, J1n Setia", "23, Jln Setia"),  # l read as 1
        ("SETIA ÁLAM", "SETIA ALAM"),  # an accent the page never printed
        ("47400Petaling Jaya Setangor", "47400 Petaling Jaya Selangor"),  # glued postcode; one wrong letter
        ("NO 29O, JALAN", "NO 290, JALAN"),  # O among digits
        ("No 8, Jalan 7/1l8B", "No 8, Jalan 7/118B"),  # an l between digits of a house number
        ("LOT 2O3, JALAN", "LOT 203, JALAN"),
        ("MR. D.1.Y. (M)", "MR. D.I.Y. (M)"),  # a digit among dotted initials
        ("GREEN SDN BHDI", "GREEN SDN BHD"),  # a stray stroke after a known word
        ("Perniagaan Sr! Gaya", "Perniagaan Sri Gaya"),
        ("AIK HUAT HARDWAKE", "AIK HUAT HARDWARE"),
        ("Jalan Olnar G U3/G", "Jalan Dinar G U3/G"),  # two look-alikes in one word
        ("GA RDENIA BAKERIES", "GARDENIA BAKERIES"),  # a space inside a known word
        ("AMANO MAL AYSIA SDN BHD", "AMANO MALAYSIA SDN BHD"),  # after a pair that is no word ("AMANO MAL")
        ("Blk G, JIn PJU 1A/3", "Blk G, Jln PJU 1A/3"),  # a capital I before lower case, even when "JIN" is known
        ("buardian Health And Beauty", "Guardian Health And Beauty"),  # a misread capital in a capitalised line
    ],
)
def test_known_slips_are_repaired(printed: str, repaired: str) -> None:
    assert correct_text(printed, VOCAB) == repaired


@pytest.mark.parametrize(
    "text",
    [
        "BOOKCENTRE",  # a short two-word run is a printed compound
        "BOOK CENTRE",  # two known words are not joined
        "Lot 1F-01,1st Flr",  # an ordinal is not a look-alike slip ("LST" is known)
        "STARBUCKS COFFEE",  # unknown words with no known neighbour stay
        "NO 7/118B, 1A/3",  # house numbers with letters are not look-alikes
        "U13/EG, SS15, 4x4",  # letters before digits, or a letter no digit looks like
        "Müller GmbH",  # a real accent on an unknown word stays
        "Échéance",  # a lexicon word (not learned from receipts) keeps its accents
        "Lapangan Terbang",  # a first letter is not swapped for any letter ("GERBANG" is known)
        "the guardian of the shop",  # a line in lower case: its first letters are as printed
        "McIntosh",  # a capital I inside a name whose l-reading is no word stays
        "LJAN",  # two repairs as plausible as each other (LIAN, LAN-less) would be a guess
    ],
)
def test_words_without_a_proven_repair_are_left_alone(text: str) -> None:
    ambiguous = Vocabulary({**VOCAB.counts, "IJAN": 4})
    assert correct_text(text, ambiguous) == text


def test_segment_prefers_fewest_known_parts() -> None:
    assert segment("SANYUSTATIONERYSHOP", VOCAB) == ["SANYU", "STATIONERY", "SHOP"]
    assert segment("SHOPXQZSTATIONERY", VOCAB) is None  # an unknown piece between known words: no split
    assert segment("SANYUXQZSHOPSTATIONERY", VOCAB) == ["SANYUXQZ", "SHOP", "STATIONERY"]  # the shop's own word leads


def test_segment_refuses_splits_that_prove_nothing() -> None:
    vocab = Vocabulary({**VOCAB.counts, "CAR": 5, "REF": 17, "OUR": 9, "POPULAR": 12, "RON": 6, "LINE": 5, "TIMES": 4, "BOOKS": 13})
    assert segment("CARREFOUR", vocab) is None  # three-letter words match almost anywhere
    assert segment("POPULARONLINE", vocab) is None  # POPULAR runs across the cut of POPULA | RON LINE
    assert segment("TIMESBOOKSTORES", vocab) is None  # STORES runs across BOOKS | TORES
    assert segment("SANYUSTATIONERYSHOP", vocab) == ["SANYU", "STATIONERY", "SHOP"]  # no word across a cut


def test_empty_vocabulary_changes_nothing() -> None:
    assert correct_text("SANYUSTATIONERYSHOP J1n", Vocabulary({})) == "SANYUSTATIONERYSHOP J1n"


def test_shipped_vocabulary_is_small_and_loads_fast() -> None:
    path = Path(VOCABULARY_PATH)
    assert path.stat().st_size < 5 * 1024 * 1024
    load_vocabulary.cache_clear()
    started = time.perf_counter()
    vocab = load_vocabulary()
    assert time.perf_counter() - started < 0.2
    assert vocab.known("JALAN") and vocab.known("INVOICE")


def test_missing_vocabulary_file_means_no_repairs(tmp_path: Path) -> None:
    assert load_vocabulary(tmp_path / "absent.json").counts == {}


def _page(source: str) -> DocumentText:
    lines = [
        Line.from_text("SANYUSTATIONERYSHOP", (100, 40, 400, 70)),
        Line.from_text("NO. 31G&33G, JALAN SETIA INDAH X", (80, 80, 420, 100)),
        Line.from_text("40170 SETIA ÁLAM", (80, 110, 300, 130)),
        Line.from_text("TOTAL 12.00", (80, 300, 300, 320)),
    ]
    return DocumentText([PageText(1, 500, 800, sort_reading_order(lines), source)])


def test_the_extractor_repairs_ocr_pages_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from extraction.extractors.layout import spelling

    # the words a vocabulary learned from other receipts of this shop would hold (the shipped one
    # is fitted on one side of a shop split and need not know this shop)
    known = Vocabulary({"SANYU": 5, "STATIONERY": 20, "SHOP": 80, "JALAN": 400, "SETIA": 30, "INDAH": 50, "ALAM": 40, "NO": 300})
    monkeypatch.setattr(spelling, "load_vocabulary", lambda *args, **kwargs: known)
    fields = ["vendor_name", "vendor_address"]
    ocr = RulesExtractor().extract([ExtractionRequest(document_id="d", text=_page("ocr"), fields=fields)])[0].fields
    assert ocr["vendor_name"].value == "SANYU STATIONERY SHOP"
    assert ocr["vendor_address"].value.endswith("40170 SETIA ALAM")
    assert ocr["vendor_name"].text == "SANYUSTATIONERYSHOP"  # the printed text is kept as read
    layer = RulesExtractor().extract([ExtractionRequest(document_id="d", text=_page("text_layer"), fields=fields)])[0].fields
    assert layer["vendor_name"].value == "SANYUSTATIONERYSHOP"  # a text layer is exact


def test_words_the_page_confirms_are_left_as_printed() -> None:
    vocab = Vocabulary({"PANDAN": 20, "INDAH": 50, "JALAN": 400})
    lines = ["PANDAH INDAH PULAU KETAM RESTAURANT", "M4-A-8, JALAN PANDAH INDAH 4/1A,", "Tota1 5.00", "TOTA1"]
    confirmed = words_on_several_lines(lines)
    assert "PANDAH" in confirmed and "TOTA1" in confirmed and "KETAM" not in confirmed  # case-blind, one count per line
    assert correct_text("JALAN PANDAH INDAH", vocab) == "JALAN PANDAN INDAH"  # alone, a look-alike slip
    assert correct_text("JALAN PANDAH INDAH", vocab, as_printed=confirmed) == "JALAN PANDAH INDAH"
