"""Dates in every common printed form -> :class:`datetime.date`, with ambiguity made explicit.

Numeric dates like ``03/04/2018`` can be read day-first or month-first. :func:`parse_date`
never hides that: the result says ``ambiguous=True`` and which order it used, and callers
(extractors, :func:`~extraction.normalize.fields.normalize_field`) decide the order from
evidence on the page (:func:`infer_date_order`) and surface a warning when none exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from typing import Iterable, Optional

from extraction.extractors.layout.lexicon import fold, month_names

DateOrder = str  # "auto" | "DMY" | "MDY" | "YMD"

MIN_YEAR, MAX_YEAR = 1970, 2099


@dataclass(frozen=True)
class ParsedDate:
    value: date
    ambiguous: bool  # a numeric day/month pair that reads validly both ways and differently
    order: str  # "DMY", "MDY", "YMD" or "text" (month written as a word)
    text: str  # the matched text
    start: int = 0
    end: int = 0


def _month_alternatives() -> str:
    names = sorted(month_names(), key=len, reverse=True)
    return "|".join(re.escape(n) for n in names)


_MON = _month_alternatives()
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2018-12-25, 2018/12/25, 2018.12.25
    # (two ISO dates read as one token by OCR: "2016-08-202016-08-20")
    ("YMD", re.compile(
        r"(?:(?<!\d)|(?<=\d{4}-\d{2}-\d{2}))(?P<y>(?:19|20)\d{2})\s?(?P<s>[-/.])\s?(?P<m>\d{1,2})\s?(?P=s)\s?"
        r"(?P<d>\d{2}(?=(?:19|20)\d{2}-\d{2}-\d{2})|\d{1,2}(?!\d))"
    )),
    # 25/12/2018, 12-25-2018, 25.12.18, 25 12 2018 (same separator both times)
    # (OCR noise tolerated: a "~" for a dash, a time glued to a 4-digit year: "30-06-201822:16:06")
    ("NUM", re.compile(
        r"(?<![\d.,/])(?P<a>\d{1,2})\s?(?P<s>[-/.~])\s?(?P<b>\d{1,2})\s?(?P<s2>[-/.~])\s?"
        r"(?P<y>(?:19|20)\d{2}(?=\d{1,2}:\d\d)|\d{4}(?!\d|[.,]\d|:\d)|\d{2}(?=\d{1,2}:\d\d)|\d{2}(?!\d|[.,]\d|:\d))"
    )),
    # 25 Dec 2018, 25-Dec-18, 25th December, 2018, 4 avril 2015, 3. März 2015, 25 de diciembre de 2018, 1er mars
    ("DMONY", re.compile(
        rf"(?<![a-z0-9])(?P<d>\d{{1,2}})(?:st|nd|rd|th|er|e|º|°)?\.?\s*[-/ ]?\s*(?:de\s+)?(?P<mon>{_MON})\.?(?![a-z])\s*[-/,' ]?\s*(?:de\s+)?(?P<y>\d{{4}}|'?\d{{2}})(?![\d])"
    )),
    # Dec 25, 2018 / December 25 2018 / Dec-25-2018
    ("MONDY", re.compile(
        rf"(?<![a-z])(?P<mon>{_MON})\.?\s*[-/ ]?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])\s*[-/,]?\s*(?P<y>\d{{4}}|'\d{{2}})(?!\d)"
    )),
    # Dec 2018 is not a date; 2018 Dec 25 (East Asian/ISO-like with month word)
    ("YMOND", re.compile(rf"(?<!\d)(?P<y>(?:19|20)\d{{2}})\s*[-/ ]\s*(?P<mon>{_MON})\.?\s*[-/ ]\s*(?P<d>\d{{1,2}})(?!\d)")),
]


def _year(raw: str) -> Optional[int]:
    raw = raw.lstrip("'")
    year = int(raw)
    if len(raw) == 2:
        year += 2000 if year < 70 else 1900
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def _make(y: int, m: int, d: int) -> Optional[date]:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, order: DateOrder = "auto", *, year_first: str = "YMD") -> list[ParsedDate]:
    """Every date in ``text``, left to right, without overlaps (textual forms win ties).

    ``order`` applies to numeric day/month pairs: "DMY" or "MDY" force a reading; "auto"
    reads day-first unless only month-first is valid, and flags the choice as ambiguous.
    ``year_first`` ("YMD" or "YDM") reads year-first numeric dates; "2018-29-05" is always YDM.
    Memoised like ``find_amounts``: the same lines are read by several finders.
    """
    return list(_find_dates(text, order, year_first))


@lru_cache(maxsize=16384)
def _find_dates(text: str, order: DateOrder, year_first: str) -> tuple[ParsedDate, ...]:
    folded = fold(text)
    found: list[ParsedDate] = []
    for kind, pattern in _PATTERNS:
        pos = 0
        while True:
            m = pattern.search(folded, pos)
            if m is None:
                break
            parsed = _interpret(kind, m, order, year_first)
            if parsed is None:
                pos = m.start() + 1  # "19- 10/03/2018": retry inside a rejected match
                continue
            pos = m.end()
            if any(p.start < m.end() and m.start() < p.end for p in found):
                continue
            found.append(
                ParsedDate(parsed[0], parsed[1], parsed[2], text[m.start() : m.end()], m.start(), m.end())
            )
    return tuple(sorted(found, key=lambda p: p.start))


def _interpret(kind: str, m: re.Match[str], order: DateOrder, year_first: str = "YMD") -> Optional[tuple[date, bool, str]]:
    groups = m.groupdict()
    if kind == "YMD":
        year = _year(groups["y"])
        if not year:
            return None
        month, day = int(groups["m"]), int(groups["d"])
        if year_first == "YDM" or (month > 12 >= day):  # "2018-29-05": some systems print year-day-month
            value = _make(year, day, month)
            return (value, False, "YDM") if value else None
        value = _make(year, month, day)
        return (value, False, "YMD") if value else None
    if kind in ("DMONY", "MONDY", "YMOND"):
        year = _year(groups["y"])
        month = month_names().get(groups["mon"].rstrip("."))
        value = year and month and _make(year, month, int(groups["d"]))
        return (value, False, "text") if value else None
    # numeric day/month
    if groups["s"] != groups["s2"] and "~" not in (groups["s"], groups["s2"]):
        return None  # "12.5-2018": mixed separators only when one is OCR noise
    if groups["s"] == "." and len(groups["y"]) == 2 and int(groups["a"]) > 31:
        return None
    year = _year(groups["y"])
    if year is None:
        return None
    a, b = int(groups["a"]), int(groups["b"])
    dmy = _make(year, b, a)
    mdy = _make(year, a, b)
    if dmy is None and mdy is None:
        return None
    if order == "DMY":
        return (dmy, False, "DMY") if dmy else None
    if order == "MDY":
        return (mdy, False, "MDY") if mdy else None
    if dmy and mdy and dmy != mdy:
        return (dmy, True, "DMY")
    return (dmy, False, "DMY") if dmy else (mdy, False, "MDY")


def parse_date(text: str, order: DateOrder = "auto", *, year_first: str = "YMD") -> Optional[ParsedDate]:
    """The first date in ``text`` (labels around it are allowed), or None.

    ``order``: "auto" (day-first when both readings are valid, flagged ``ambiguous``),
    "DMY", "MDY", or "YMD" (ISO forms are always read as such).
    """
    if not text:
        return None
    dates = find_dates(text, order, year_first=year_first)
    return dates[0] if dates else None


def ambiguous_date_warning(parsed: ParsedDate) -> str:
    """The one wording of the warning for a numeric date read day-first that could be month-first."""
    return (
        f"date '{parsed.text.strip()}' could be day-first or month-first; read as {parsed.value.isoformat()}"
        " (day-first). Set options.date_order to decide."
    )


def infer_year_first(texts: Iterable[str]) -> str:
    """"YDM" when the page proves year-day-month ("2018-29-05") and nothing proves year-month-day."""
    ydm, ymd = year_first_votes(texts)
    return "YDM" if ydm > ymd else "YMD"


def year_first_votes(texts: Iterable[str]) -> tuple[int, int]:
    """(year-day-month, year-month-day) dates on the page that can be read only that way."""
    ydm = ymd = 0
    for text in texts:
        for m in _PATTERNS[0][1].finditer(fold(text)):
            month, day = int(m.group("m")), int(m.group("d"))
            if month > 12 >= day:
                ydm += 1
            elif day > 12 >= month:
                ymd += 1
    return ydm, ymd


def infer_date_order(texts: Iterable[str], currency: Optional[str] = None) -> tuple[Optional[str], str]:
    """Decide day-first vs month-first from evidence: (order or None, reason).

    Evidence, strongest first: a numeric date on the page that is valid only one way
    ("25/12/2018" proves DMY), then the currency's country habit (USD -> MDY; most
    others DMY). None when there is no evidence, so the caller warns.
    """
    votes = {"DMY": 0, "MDY": 0}
    for text in texts:
        for m in _PATTERNS[1][1].finditer(fold(text)):
            if _interpret("NUM", m, "auto") is None:
                continue
            a, b = int(m.group("a")), int(m.group("b"))
            if a > 12 >= b >= 1:
                votes["DMY"] += 1
            elif b > 12 >= a >= 1:
                votes["MDY"] += 1
    if votes["DMY"] != votes["MDY"]:
        winner = max(votes, key=votes.get)
        return winner, f"an unambiguous {winner} date on the page"
    if currency:
        if currency in MDY_CURRENCIES:
            return "MDY", f"currency {currency} (month-first country)"
        return "DMY", f"currency {currency} (day-first country)"
    return None, "no evidence"


#: Currencies of countries that write month-first (the US and a few others).
MDY_CURRENCIES = frozenset({"USD", "PHP"})
