"""Amounts in every common locale, table-driven."""

from decimal import Decimal

import pytest

from extraction.normalize.numbers import find_amounts, format_amount, format_quantity, parse_amount

CASES = [
    ("1,234.56", "1234.56"),
    ("1.234,56", "1234.56"),
    ("1 234,56 €", "1234.56"),
    ("75 974,00 €", "75974.00"),
    ("1\u202f234,50", "1234.50"),
    ("1\u00a0234,50 EUR", "1234.50"),
    ("1'234.56", "1234.56"),
    ("RM 9.00", "9.00"),
    ("RM9.00", "9.00"),
    ("$1,000", "1000"),
    ("€12", "12"),
    ("12,50 €", "12.50"),
    ("EUR 12,50", "12.50"),
    ("Rs. 300.00", "300.00"),
    ("₹ 1,23,456.00", "123456.00"),
    ("-12.00", "-12.00"),
    ("- 12.00", "-12.00"),
    ("12.00-", "-12.00"),
    ("(12.00)", "-12.00"),
    ("12.-", "12"),
    ("12,-", "12"),
    ("0.125", "0.125"),
    ("1,234", "1234"),
    ("1.234.567,89", "1234567.89"),
    ("1,234,567.89", "1234567.89"),
    ("12.5", "12.5"),
    (".50", "0.50"),
    ("1 234", "1234"),
    ("9.00 ", "9.00"),
    ("TOTAL RM 12.50", "12.50"),
    ("-RM 0.01", "-0.01"),
    ("(RM 5.00)", "-5.00"),
    ("Montant TTC : 75 974,00 €", "75974.00"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_amount(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "2018-12-25", "12.50 10.00", "TEL 03-1234 5678", "2 x 3.50", "GST 6% 0.90"])
def test_parse_amount_rejects_non_amounts(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("1234.5"), "1234.50"), (Decimal("12"), "12.00"), (Decimal("0.125"), "0.13"), (Decimal("-3.1"), "-3.10")],
)
def test_format_amount(value: Decimal, expected: str) -> None:
    assert format_amount(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(Decimal("2.00"), "2"), (Decimal("1.50"), "1.5"), (Decimal("23"), "23")])
def test_format_quantity(value: Decimal, expected: str) -> None:
    assert format_quantity(value) == expected


def test_find_amounts_reads_a_line_left_to_right() -> None:
    found = find_amounts("2 x 3.50 = 7.00 (-1.00)")
    assert [a.value for a in found] == [Decimal("2"), Decimal("3.50"), Decimal("7.00"), Decimal("-1.00")]
    assert [a.has_decimals for a in found] == [False, True, True, True]


def test_a_dot_after_a_word_is_not_a_decimal_point() -> None:
    assert [a.text for a in find_amounts("NO.3, JALAN SS21")] == ["3", "21"]


def test_find_amounts_does_not_make_date_parts_negative() -> None:
    assert all(a.value > 0 for a in find_amounts("2018-12-25"))


def test_a_dash_glued_to_a_colon_is_a_separator_not_a_sign() -> None:
    assert [a.value for a in find_amounts("Total Payable: :-51.88")] == [Decimal("51.88")]
    assert [a.value for a in find_amounts("Rounding: -0.02")] == [Decimal("-0.02")]


@pytest.mark.parametrize(
    "text",
    ["Total Payable: - 51.88", "Total Payable:- 51.88", "Total Payable :- 51.88", "Total Payable: -  51.88", "TOTAL:− 51.88"],
)
def test_a_spaced_dash_after_a_label_separator_is_punctuation(text: str) -> None:
    assert [a.value for a in find_amounts(text)] == [Decimal("51.88")]
    assert parse_amount(text) == Decimal("51.88")


@pytest.mark.parametrize(
    "text, value",
    [
        ("-51.88", "-51.88"),
        ("51.88-", "-51.88"),
        ("(51.88)", "-51.88"),
        ("- 51.88", "-51.88"),  # no label: a sign set apart is still a sign
        ("Discount: -5.00", "-5.00"),  # glued to its digits: a sign
        ("Total - 51.88", "-51.88"),  # no label separator before the dash
        ("Refund: (51.88)", "-51.88"),
        ("Change: 51.88-", "-51.88"),
    ],
)
def test_real_negatives_stay_negative(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)
