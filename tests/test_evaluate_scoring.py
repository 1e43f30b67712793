"""Scoring rules of the evaluation harness: value comparison, outcomes, line items, aggregation."""

from __future__ import annotations

import pytest

from extraction.evaluate.scoring import (
    FieldStats,
    Prediction,
    calibration,
    mean_over_fields,
    normalize_text,
    prf,
    score_field,
    score_line_items,
    similarity,
    values_match,
)


@pytest.mark.parametrize(
    ("kind", "expected", "predicted", "match"),
    [
        # dates compared as values, whatever the printed form
        ("date", "2018-12-25", "2018-12-25", True),
        ("date", "2018-12-25", "25/12/2018", True),
        ("date", "2018-12-25", "25-12-2018", True),
        ("date", "2018-12-25", "2018-12-26", False),
        ("date", "2018-12-25", "26/12/2018", False),
        ("date", "2018-12-25", "not a date", False),
        # amounts compared as values, currency signs and codes ignored
        ("amount", "9.00", "9.00", True),
        ("amount", "9.00", "9", True),
        ("amount", "9.00", "9.0", True),
        ("amount", "9.00", "RM9.00", True),
        ("amount", "9.00", "RM 9.00", True),
        ("amount", "75974.00", "75 974,00 €", True),
        ("amount", "1234.50", "$1,234.50", True),
        ("amount", "9.00", "9.01", False),
        ("amount", "9.00", "90.00", False),
        ("amount", "9.00", "total", False),
        # text: case, inner whitespace and surrounding punctuation do not matter
        ("text", "BOOK TA .K (TAMAN DAYA) SDN BHD", "book ta .k (taman daya)  sdn bhd", True),
        ("text", "JOHOR.", "Johor", True),
        ("text", "ACME SDN BHD", "  ACME\tSDN\nBHD ,", True),
        ("text", "ACME SDN BHD", "ACME SDN BND", False),
        ("text", "A.B", "AB", False),  # inner punctuation stays
        # codes
        ("currency", "EUR", "eur", True),
        ("currency", "EUR", "USD", False),
        ("time", "13:45", "13.45", True),
        ("time", "09:05", "9:05", True),
        ("time", "13:45", "13:46", False),
    ],
)
def test_values_match(kind: str, expected: str, predicted: str, match: bool) -> None:
    assert values_match(kind, expected, predicted) is match


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("  hello   world. ", "HELLO WORLD"), ("(ACME)", "ACME"), ("«Café»", "CAFÉ"), ("a-b", "A-B"), ("...", "")],
)
def test_normalize_text(raw: str, normalised: str) -> None:
    assert normalize_text(raw) == normalised


def test_similarity_is_one_minus_normalised_edit_distance() -> None:
    assert similarity("ABCD", "abcd") == 1.0
    assert similarity("ABCD", "ABCX") == pytest.approx(0.75)
    assert similarity("ABCD", None) == 0.0


@pytest.mark.parametrize(
    ("field", "expected", "predicted", "kind"),
    [
        ("total", "9.00", "9.00", "correct"),
        ("total", "9.00", "8.00", "wrong"),
        ("total", "9.00", None, "missing"),
        ("total", "9.00", "", "missing"),
        ("total", None, "9.00", "spurious"),
        ("date", "2024-03-14", "14/03/2024", "correct"),
        ("vendor_name", "ACME", "ACME.", "correct"),
    ],
)
def test_score_field_outcomes(field: str, expected: str | None, predicted: str | None, kind: str) -> None:
    prediction = Prediction(value=predicted, text=predicted, confidence=0.9) if predicted is not None else None
    outcome = score_field(field, expected, prediction)
    assert outcome is not None
    assert outcome.kind == kind


def test_score_field_with_neither_label_nor_prediction_is_not_scored() -> None:
    assert score_field("total", None, None) is None


def test_prediction_falls_back_to_printed_text_when_value_is_empty() -> None:
    outcome = score_field("total", "12.50", Prediction(value=None, text="TOTAL RM 12.50", confidence=0.4))
    assert outcome is not None and outcome.kind == "correct"


def test_text_fields_carry_similarity_and_amounts_do_not() -> None:
    text = score_field("vendor_name", "ACME SDN BHD", Prediction(value="ACME SDN BND"))
    amount = score_field("total", "9.00", Prediction(value="9.00"))
    assert text is not None and text.similarity == pytest.approx(1 - 1 / 12)
    assert amount is not None and amount.similarity is None


ROWS = [
    {"description": "Croissant", "quantity": "2", "unit_price": "3.50", "amount": "7.00"},
    {"description": "Latte", "quantity": "1", "unit_price": "4.80", "amount": "4.80"},
    {"description": "Bagel", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
]


@pytest.mark.parametrize(
    ("predicted", "matched", "wrong", "missing", "spurious"),
    [
        (ROWS, 3, 0, 0, 0),
        (list(reversed(ROWS)), 3, 0, 0, 0),  # order does not matter
        ([{**r, "description": r["description"].upper() + ".", "quantity": r["quantity"] + ".0"} for r in ROWS], 3, 0, 0, 0),
        ([{**ROWS[0], "unit_price": "9.99"}, *ROWS[1:]], 3, 0, 0, 0),  # unit price is not part of a match
        ([{**ROWS[0], "amount": "7.10"}, *ROWS[1:]], 2, 1, 0, 0),
        ([{**ROWS[0], "quantity": "3"}, *ROWS[1:]], 2, 1, 0, 0),
        (ROWS[:2], 2, 0, 1, 0),
        ([*ROWS, {"description": "Tip", "quantity": "1", "amount": "1.00"}], 3, 0, 0, 1),
        ([], 0, 0, 3, 0),
    ],
)
def test_line_item_matching(predicted: list[dict], matched: int, wrong: int, missing: int, spurious: int) -> None:
    outcome = score_line_items(ROWS, predicted)
    assert (outcome.matched, len(outcome.wrong), len(outcome.missing), len(outcome.spurious)) == (matched, wrong, missing, spurious)


def test_line_item_wrong_rows_are_paired_with_the_closest_prediction() -> None:
    predicted = [{"description": "Bagel", "quantity": "1", "amount": "3.30"}, {"description": "Croissant", "quantity": "2", "amount": "7.10"}]
    outcome = score_line_items(ROWS[:1] + ROWS[2:], predicted)
    pairs = {e["description"]: p["description"] for e, p in outcome.wrong}
    assert pairs == {"Croissant": "Croissant", "Bagel": "Bagel"}


def test_duplicate_rows_are_matched_at_most_once() -> None:
    outcome = score_line_items([ROWS[0], ROWS[0]], [ROWS[0]])
    assert outcome.matched == 1 and len(outcome.missing) == 1


def test_field_stats_precision_recall_f1() -> None:
    stats = FieldStats()
    for expected, predicted in [("1.00", "1.00"), ("2.00", "2.00"), ("3.00", "9.00"), ("4.00", None), (None, "5.00")]:
        outcome = score_field("total", expected, Prediction(value=predicted) if predicted else None)
        assert outcome is not None
        stats.add(outcome)
    summary = stats.summary()
    assert (summary["correct"], summary["wrong"], summary["missing"], summary["spurious"]) == (2, 1, 1, 1)
    assert summary["precision"] == pytest.approx(2 / 4)  # correct / predicted
    assert summary["recall"] == pytest.approx(2 / 4)  # correct / labelled
    assert summary["f1"] == pytest.approx(0.5)


def test_prf_edge_cases() -> None:
    assert prf(0, 0, 5) == {"precision": None, "recall": 0.0, "f1": 0.0}
    assert prf(0, 0, 0)["f1"] is None
    assert prf(3, 3, 6)["f1"] == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_mean_over_fields_skips_undefined_values() -> None:
    mean = mean_over_fields({"a": {"precision": 1.0, "recall": 0.5, "f1": 0.5}, "b": {"precision": None, "recall": 0.0, "f1": 0.0}})
    assert mean["precision"] == 1.0
    assert mean["recall"] == 0.25
    assert mean["f1"] == 0.25


def test_calibration_buckets_and_accuracy() -> None:
    outcomes = [
        score_field("total", "1.00", Prediction(value="1.00", confidence=0.3)),
        score_field("total", "1.00", Prediction(value="2.00", confidence=0.4)),
        score_field("total", "1.00", Prediction(value="1.00", confidence=0.8)),
        score_field("total", "1.00", Prediction(value="1.00", confidence=1.0)),
        score_field("total", None, Prediction(value="1.00", confidence=0.99)),  # spurious counts as not right
        score_field("total", "1.00", None),  # missing has no confidence
    ]
    rows = calibration([o for o in outcomes if o is not None])
    assert [r["count"] for r in rows] == [2, 0, 1, 2]  # 0.8 opens the third bucket
    assert rows[0]["accuracy"] == 0.5
    assert rows[1]["accuracy"] is None
    assert rows[2]["accuracy"] == 1.0
    assert rows[3]["accuracy"] == 0.5
    assert rows[3]["bucket"].endswith("]")
