"""Times of day in the printed forms receipts use."""

from __future__ import annotations

import pytest

from extraction.normalize.times import find_times, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14:05", "14:05"), ("2:05 PM", "14:05"), ("12:30 am", "00:30"), ("14h05", "14:05"), ("8:13:39 PM", "20:13"), ("TOTAL 12.30", None)],
)
def test_parse_time(text: str, expected: str | None) -> None:
    parsed = parse_time(text)
    assert (parsed.value if parsed else None) == expected


def test_find_times_gives_the_span_of_each_time() -> None:
    text = "IN 08:15 OUT 17h30"
    assert [(t.value, text[t.start : t.end]) for t in find_times(text)] == [("08:15", "08:15"), ("17:30", "17h30")]
