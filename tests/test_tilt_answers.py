"""Answer splitting, confidence and location."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from extraction.extractors.tilt.answers import confidence, is_empty_answer, locate, split_values
from extraction.extractors.tilt.convert import LocatedWord
from extraction.layout import Word


def lp(value: float) -> SimpleNamespace:
    return SimpleNamespace(logprob=value, rank=1, decoded_token="x")


def test_split_values_on_separator():
    assert split_values("12.50 | 13.00 |  ", " | ") == ["12.50", "13.00"]
    assert split_values("ACME", " | ") == ["ACME"]
    assert split_values("None | 5", " | ") == ["5"]
    assert split_values("", " | ") == []


@pytest.mark.parametrize("text", ["", "  ", "None", "none.", "N/A", "null"])
def test_empty_answers(text):
    assert is_empty_answer(text)


def test_real_values_are_not_empty():
    assert not is_empty_answer("0.00")
    assert not is_empty_answer("Nonesuch Ltd")


def test_confidence_is_exp_of_min_logprob():
    logprobs = [{5: lp(math.log(0.9))}, {7: lp(math.log(0.5))}, {1: lp(math.log(0.99))}]
    assert confidence(logprobs, [5, 7, 1]) == pytest.approx(0.5)


def test_confidence_prefers_the_sampled_token():
    logprobs = [{9: lp(math.log(0.1)), 5: lp(math.log(0.8))}]
    assert confidence(logprobs, [5]) == pytest.approx(0.8)


def test_confidence_of_no_tokens_is_none():
    assert confidence([], []) is None
    assert confidence([{}], []) is None


def words(*items):
    return [LocatedWord(page, Word(text, box)) for page, text, box in items]


WORDS = words(
    (1, "TOTAL", (10, 100, 60, 120)),
    (1, "RM", (70, 100, 90, 120)),
    (1, "12,50", (95, 100, 140, 120)),
    (1, "ACME", (10, 10, 60, 30)),
    (1, "STORE", (65, 10, 120, 30)),
    (2, "Invoice", (10, 10, 60, 30)),
    (2, "INV-001", (70, 10, 130, 30)),
)


def test_locate_multi_word_answer():
    loc = locate("Acme Store", WORDS)
    assert (loc.page, loc.bbox, loc.exact) == (1, [10.0, 10.0, 120.0, 30.0], True)


def test_locate_ignores_punctuation_and_finds_on_later_page():
    assert locate("12.50", WORDS).bbox == [95.0, 100.0, 140.0, 120.0]
    loc = locate("INV 001", WORDS)
    assert loc.page == 2 and loc.bbox == [70.0, 10.0, 130.0, 30.0]


def test_locate_value_inside_a_word():
    w = words((1, "RM12.50", (0, 0, 50, 10)))
    assert locate("12.50", w).bbox == [0.0, 0.0, 50.0, 10.0]


def test_locate_fuzzy_and_missing():
    loc = locate("ACME ST0RE", WORDS)
    assert loc is not None and not loc.exact and loc.bbox == [10.0, 10.0, 120.0, 30.0]
    assert locate("Something else entirely", WORDS) is None
    assert locate("", WORDS) is None


STORE_BOX = [10.0, 10.0, 120.0, 30.0]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ACME STOR", (False, STORE_BOX)),  # a character lost: 16 of 17 characters pair up (0.94)
        ("ACME ST0RE", (False, STORE_BOX)),  # one misread in nine (0.89)
        ("ACNE ST0RE", None),  # two misreads in nine (0.78): under the 0.85 bar
    ],
)
def test_fuzzy_location_threshold(answer, expected):
    loc = locate(answer, WORDS)
    assert (None if loc is None else (loc.exact, loc.bbox)) == expected
