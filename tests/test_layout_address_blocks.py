"""Address blocks: a postcode glued to the next word by a comma, and an address printed above the
shop's legal name with contact lines between them."""

from __future__ import annotations

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.extractors.layout.header_lines import POSTCODE
from extraction.layout import DocumentText, Line, PageText, sort_reading_order


def _page(texts: list[str]) -> DocumentText:
    lines = [Line.from_text(text, (60, 40 + 30 * i, 440, 62 + 30 * i)) for i, text in enumerate(texts)]
    return DocumentText([PageText(1, 500, 900, sort_reading_order(lines), "ocr")])


def _read(texts: list[str]) -> dict:
    result = RulesExtractor().extract([ExtractionRequest("r", _page(texts), frozenset({"vendor_name", "vendor_address"}))])[0]
    return {name: found.value for name, found in result.fields.items()}


def test_a_postcode_may_be_followed_by_a_comma_and_a_town() -> None:
    assert POSTCODE.search("NO.9, JALAN 16/11,,46350,PETALING JAYA")
    assert POSTCODE.search("81750.JOHOR BAHRU")
    assert not POSTCODE.search("TOTAL 12345.00")  # an amount, not a postcode
    assert not POSTCODE.search("QTY 12345,50")


def test_an_address_above_the_legal_name_is_found_across_contact_lines() -> None:
    texts = [
        "THANK YOU FOR SHOPPING WITH US",
        "UNIT 7, BLOCK B, MENARA KUDA,",
        "NO.3, JALAN 5/12,,46000,PETALING JAYA,SELANGOR",
        "CARELINE : 1800 22 3344",
        "CARE@KUDARETAIL.COM.MY",
        "KUDA RETAIL SDN BHD (123456-X)",
        "TAX REG ID 000123456789",
        "QTY PRICE AMT",
    ]
    fields = _read(texts)
    assert fields["vendor_name"] == "KUDA RETAIL SDN BHD"
    assert fields["vendor_address"] == "UNIT 7, BLOCK B, MENARA KUDA, NO.3, JALAN 5/12,,46000,PETALING JAYA,SELANGOR"


def test_lines_that_are_not_contacts_still_end_the_address_above() -> None:
    texts = [
        "UNIT 7, BLOCK B, MENARA KUDA,",
        "NO.3, JALAN 5/12, 46000 PETALING JAYA",
        "MEMBER POINTS WELCOME",
        "KUDA RETAIL SDN BHD (123456-X)",
        "TAX REG ID 000123456789",
        "QTY PRICE AMT",
    ]
    assert "vendor_address" not in _read(texts)
