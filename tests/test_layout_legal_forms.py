"""Header rules that carry over to countries the development receipts never showed: legal forms
of many countries mark the sender's name, the tax and registration labels come from the label
vocabulary (one list for every rule), and a name is judged without the date printed beside it."""

from __future__ import annotations

import pytest

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.header_lines import PlainText, address_score, is_title
from extraction.extractors.layout.lexicon import fold, phrases
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.layout import DocumentText, Line, PageText, sort_reading_order
from extraction.vocabulary import load_vocabulary

# (sender name as printed, its street line, its tax or registration line, the number printed)
SENDERS = [
    ("Kowalski Sp. z o.o.", "ul. Długa 5, 00-238 Warszawa", "NIP: 525-000-12-34", "525-000-12-34"),
    ("Bianchi Informatica S.n.c.", "Via Roma 12, 20121 Milano", "Partita IVA 01234567890", "01234567890"),
    ("Nordljus Handel AB", "Storgatan 4, 111 22 Stockholm", "Org.nr 556677-8899", "556677-8899"),
    ("Hansen Tømrer ApS", "Vestergade 3, 8000 Aarhus C", "CVR-nr. 12345678", "12345678"),
    ("Müller Haustechnik GmbH & Co. KG", "Hauptstraße 7, 80331 München", "Steuernummer 143/123/45678", "143/123/45678"),
    ("Verhoeven Installatie V.O.F.", "Kerkstraat 9, 3511 AB Utrecht", "KvK 12345678", "12345678"),
    ("Costa & Filhos, Lda.", "Rua Augusta 10, 1100-053 Lisboa", "NIF 501234567", "501234567"),
    ("Talleres Ruiz S.L.U.", "Calle Mayor 3, 28013 Madrid", "CIF B12345678", "B12345678"),
]


def _invoice(name: str, street: str, tax_line: str) -> DocumentText:
    """A text-layer invoice head: phone and a two-language title on top, the name with the date
    printed on the same row at the right, then street and tax lines."""
    lines = [
        Line.from_text("Tel. +48 22 123 45 67", (40, 20, 200, 34)),
        Line.from_text("FAKTURA / INVOICE", (300, 16, 480, 36)),
        Line.from_text(name, (40, 60, 260, 74)),
        Line.from_text("Datum 12.03.2024", (300, 60, 480, 74)),
        Line.from_text(street, (40, 78, 260, 92)),
        Line.from_text(tax_line, (40, 96, 260, 110)),
        Line.from_text("Total 123,00", (300, 400, 480, 414)),
    ]
    return DocumentText([PageText(1, 500, 700, sort_reading_order(lines), "text_layer")])


@pytest.fixture(scope="module")
def read() -> list:
    requests = [
        ExtractionRequest(str(i), _invoice(name, street, tax), frozenset({"vendor_name", "vendor_tax_id"}))
        for i, (name, street, tax, _) in enumerate(SENDERS)
    ]
    return RulesExtractor().extract(requests)


@pytest.mark.parametrize("index", range(len(SENDERS)), ids=[s[0] for s in SENDERS])
def test_the_name_with_a_legal_form_is_the_vendor_even_with_a_date_beside_it(read: list, index: int) -> None:
    fields = read[index].fields
    assert fields["vendor_name"].value == SENDERS[index][0]  # the final stop of "o.o." and "Lda." kept


@pytest.mark.parametrize("index", range(len(SENDERS)), ids=[s[2].split()[0] for s in SENDERS])
def test_tax_and_registration_labels_of_the_vocabulary_give_the_tax_id(read: list, index: int) -> None:
    assert read[index].fields["vendor_tax_id"].value == SENDERS[index][3]


def test_the_lexicon_group_holds_every_primary_label_of_its_vocabulary_fields() -> None:
    vocabulary = load_vocabulary()
    held = set(phrases("vendor_tax_id"))
    for field in ("vendor_tax_id", "company_registration"):
        missing = [p for p in vocabulary.phrases(field, strength="primary") if fold(p) not in held]
        assert not missing, (field, missing)
    assert fold("VAT") not in held  # a secondary label alone is not a tax-id label


def test_a_title_in_two_languages_is_a_title_and_a_name_is_not() -> None:
    assert is_title(PlainText("FAKTURA / INVOICE"))
    assert is_title(PlainText("Rechnung - Invoice"))
    assert is_title(PlainText("Kvitto"))  # the vocabulary's receipt titles count too
    assert not is_title(PlainText("Invoice Express / Lisboa"))


def test_a_legal_form_closing_a_name_is_not_an_address_cue() -> None:
    assert address_score(PlainText("Müller Haustechnik GmbH & Co. KG")) == 0.0
    assert address_score(PlainText("Kg. Baru Sungai Buloh")) >= 1.0  # "Kg." (Kampung) still a place
