"""Dates in every common printed form, with ambiguity surfaced, table-driven."""

from datetime import date

import pytest

from extraction.normalize.dates import ambiguous_date_warning, find_dates, infer_date_order, parse_date

CASES = [
    ("25/12/2018", date(2018, 12, 25)),
    ("12-25-2018", date(2018, 12, 25)),
    ("2018-12-25", date(2018, 12, 25)),
    ("2018/12/25", date(2018, 12, 25)),
    ("2018.12.25", date(2018, 12, 25)),
    ("25 Dec 2018", date(2018, 12, 25)),
    ("25-Dec-2018", date(2018, 12, 25)),
    ("Dec 25, 2018", date(2018, 12, 25)),
    ("December 25 2018", date(2018, 12, 25)),
    ("25th December 2018", date(2018, 12, 25)),
    ("25.12.18", date(2018, 12, 25)),
    ("25.12.2018", date(2018, 12, 25)),
    ("4 avril 2015", date(2015, 4, 4)),
    ("1er mars 2015", date(2015, 3, 1)),
    ("3. März 2015", date(2015, 3, 3)),
    ("18 april 2014", date(2014, 4, 18)),
    ("25 de diciembre de 2018", date(2018, 12, 25)),
    ("15 Mac 2018", date(2018, 3, 15)),
    ("7 Ogos 2017", date(2017, 8, 7)),
    ("20-Oct-15", date(2015, 10, 20)),
    ("12/25/18", date(2018, 12, 25)),
    ("Date: 25/12/2018 8:13:39 PM", date(2018, 12, 25)),
    ("Échéance : 13/06/2015", date(2015, 6, 13)),
    ("2018 Dec 25", date(2018, 12, 25)),
    ("31 dicembre 2019", date(2019, 12, 31)),
    ("5 juillet 2016", date(2016, 7, 5)),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_date(text: str, expected: date) -> None:
    parsed = parse_date(text)
    assert parsed is not None and parsed.value == expected
    assert parsed.ambiguous is False


@pytest.mark.parametrize("text", ["", "TOTAL 12.50", "12.50 10.00", "31/02/2018", "Tel 03-1234 5678", "45/45/2018"])
def test_parse_date_rejects_non_dates(text: str) -> None:
    assert parse_date(text) is None


def test_ambiguous_numeric_date_is_flagged_not_guessed_silently() -> None:
    parsed = parse_date("03/04/2018")
    assert parsed is not None and parsed.ambiguous
    assert parsed.value == date(2018, 4, 3) and parsed.order == "DMY"


@pytest.mark.parametrize(("order", "expected"), [("DMY", date(2018, 4, 3)), ("MDY", date(2018, 3, 4))])
def test_explicit_order_resolves_ambiguity(order: str, expected: date) -> None:
    parsed = parse_date("03/04/2018", order)
    assert parsed is not None and parsed.value == expected and not parsed.ambiguous


def test_same_day_and_month_is_not_ambiguous() -> None:
    parsed = parse_date("05/05/2018")
    assert parsed is not None and not parsed.ambiguous


@pytest.mark.parametrize(
    ("texts", "currency", "expected"),
    [
        (["Date 03/04/2018", "Printed 25/12/2018"], None, "DMY"),
        (["Date 03/04/2018", "Printed 12/25/2018"], None, "MDY"),
        (["Date 03/04/2018"], "USD", "MDY"),
        (["Date 03/04/2018"], "MYR", "DMY"),
        (["Date 03/04/2018"], None, None),
    ],
)
def test_infer_date_order_from_evidence(texts: list[str], currency: str | None, expected: str | None) -> None:
    assert infer_date_order(texts, currency)[0] == expected


def test_find_dates_returns_each_date_once() -> None:
    found = find_dates("From 01/05/2014 to 31.05.2014, issued 4 avril 2015")
    assert [d.value for d in found] == [date(2014, 5, 1), date(2014, 5, 31), date(2015, 4, 4)]


def test_year_day_month_is_read_when_the_month_cannot_be_a_month() -> None:
    parsed = parse_date("2018-29-05")
    assert parsed is not None and parsed.value == date(2018, 5, 29) and parsed.order == "YDM"


def test_year_first_order_can_be_imposed() -> None:
    assert parse_date("2018-10-04", year_first="YDM").value == date(2018, 4, 10)
    assert parse_date("2018-10-04").value == date(2018, 10, 4)


def test_the_ambiguous_date_warning_names_both_readings_and_the_option() -> None:
    parsed = parse_date("Date: 03/04/2018")
    assert parsed is not None
    warning = ambiguous_date_warning(parsed)
    assert "'03/04/2018'" in warning and "2018-04-03" in warning and "options.date_order" in warning
