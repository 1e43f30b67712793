"""normalize_field for every field kind, and currency detection."""

import pytest

from extraction.fields import FIELD_KINDS
from extraction.normalize.currency import detect_currency
from extraction.normalize.fields import normalize_field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€ 12,00", "EUR"), ("12.00 EUR", "EUR"), ("RM 9.00", "MYR"), ("Rs. 300", "INR"), ("₹ 300", "INR"),
        ("£4.50", "GBP"), ("$4.50", "USD"), ("S$4.50", "SGD"), ("Total CHF 12.00", "CHF"), ("no money here", None),
        ("$ 12.00 total in CAD", "CAD"),
        ("Total (RM):", "MYR"), ("AMT(RM)", "MYR"), ("FARM FRESH", None),
    ],
)
def test_detect_currency(text: str, expected: str | None) -> None:
    assert detect_currency(text) == expected


CASES = [
    ("total", "RM 9.00", "9.00"),
    ("total", "75 974,00 €", "75974.00"),
    ("subtotal", "Total: 12,50", "12.50"),
    ("tax", "0.9", "0.90"),
    ("date", "25/12/2018", "2018-12-25"),
    ("due_date", "4 avril 2015", "2015-04-04"),
    ("time", "2:05 PM", "14:05"),
    ("currency", "€", "EUR"),
    ("currency", "eur", "EUR"),
    ("currency", "RM", "MYR"),
    ("document_type", "TAX INVOICE", "invoice"),
    ("document_type", "Facture", "invoice"),
    ("document_type", "Official Receipt", "receipt"),
    ("payment_method", "VISA ****1234", "card"),
    ("payment_method", "Cash at Hotel", "cash"),
    ("payment_method", "Virement bancaire", "bank_transfer"),
    ("vendor_name", "  ACME   SDN BHD : ", "ACME SDN BHD"),
    ("invoice_number", "FA04/2015/027622", "FA04/2015/027622"),
]


@pytest.mark.parametrize(("field", "text", "expected"), CASES)
def test_normalize_field(field: str, text: str, expected: str) -> None:
    result = normalize_field(field, text)
    assert result is not None and result.value == expected


SAMPLE_BY_KIND = {"amount": "1.00", "date": "2018-12-25", "time": "10:00", "currency": "EUR", "document_type": "invoice", "payment_method": "cash", "text": "x1"}


@pytest.mark.parametrize("field", sorted(FIELD_KINDS))
def test_every_standard_field_has_a_normaliser(field: str) -> None:
    assert normalize_field(field, SAMPLE_BY_KIND[FIELD_KINDS[field]]) is not None


def test_ambiguous_date_warns_and_explicit_order_does_not() -> None:
    auto = normalize_field("date", "03/04/2018")
    assert auto is not None and auto.value == "2018-04-03" and auto.warnings
    mdy = normalize_field("date", "03/04/2018", date_order="MDY")
    assert mdy is not None and mdy.value == "2018-03-04" and not mdy.warnings


@pytest.mark.parametrize(("field", "text"), [("total", "no number"), ("date", "none"), ("time", "soon"), ("currency", "money")])
def test_normalize_field_returns_none_when_nothing_is_there(field: str, text: str) -> None:
    assert normalize_field(field, text) is None


def test_unknown_field_is_an_error() -> None:
    with pytest.raises(KeyError):
        normalize_field("colour", "red")


@pytest.mark.parametrize("text", ["KEDAI ABC SDN BHD", "SYL DELIGHTS SDN. BHD.", "BALL PEN 2 PCS", "Montant HT"])
def test_words_that_look_like_codes_or_methods_are_not(text: str) -> None:
    assert detect_currency(text) is None
    assert normalize_field("payment_method", text) is None
