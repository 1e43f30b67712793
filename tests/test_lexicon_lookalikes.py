"""Labels printed with a digit for a letter of the same shape ("Te1 No.", "T0TAL") are still
labels; codes that mix letters and digits ("SS15/4B", "U13") are left as printed."""

from __future__ import annotations

import pytest

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.extractors.layout.lexicon import find_keyword, letters_for_lookalikes
from extraction.layout import DocumentText, Line, PageText, sort_reading_order


@pytest.mark.parametrize(
    "printed, group",
    [("Te1 No.: 07-387 3322", "contact"), ("T0TAL RM 12.00", "total"), ("5UBTOTAL", "subtotal"), ("Tota1 Due", "total")],
)
def test_a_label_with_a_lookalike_digit_is_found(printed: str, group: str) -> None:
    match = find_keyword(printed, group)
    assert match is not None and match.start() == 0


@pytest.mark.parametrize("code", ["ss15/4b", "u13/bg", "jalan pju 1a/4", "sp-nu11-18/06/09", "rm10.00", "no.1, jalan"])
def test_codes_and_numbers_are_left_as_printed(code: str) -> None:
    assert letters_for_lookalikes(code) is code


def test_a_word_with_another_digit_is_left_as_printed() -> None:
    assert letters_for_lookalikes("te2") == "te2" and letters_for_lookalikes("te1") == "tel"


def test_the_address_ends_where_a_misread_phone_label_begins() -> None:
    lines = [
        Line.from_text("MOONLIGHT CAKE HOUSE SDN BHD", (40, 20, 400, 40)),
        Line.from_text("No.1, Jalan Permas 10/5, Bandar Baru Permas Jaya", (40, 46, 420, 62)),
        Line.from_text("81750 Johor Bahru, Johor. Te1 No.: 07-387 3322", (40, 66, 420, 82)),
        Line.from_text("Invoice No: SP-1018481", (40, 120, 300, 136)),
        Line.from_text("TOTAL 12.00", (40, 300, 300, 316)),
    ]
    document = DocumentText([PageText(1, 500, 700, sort_reading_order(lines), "ocr")])
    [result] = RulesExtractor().extract([ExtractionRequest("r", document, frozenset({"vendor_address"}))])
    assert result.fields["vendor_address"].value == "No.1, Jalan Permas 10/5, Bandar Baru Permas Jaya 81750 Johor Bahru, Johor."
