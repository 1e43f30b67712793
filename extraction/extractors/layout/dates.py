"""Dates and the time of day.

Every date on the page is a candidate; the one next to a date keyword (same line, left of it,
or the column title above it) wins, due dates come from due-date keywords. Day-first vs
month-first comes from evidence on the page (:func:`extraction.normalize.dates.infer_date_order`);
an ambiguous date that nothing decides is read day-first with a warning.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Optional

from extraction.extractors.layout.labels import Candidate
from extraction.extractors.layout.lexicon import cue_pattern, find_keyword, fold, has_keyword
from extraction.extractors.layout.rows import PageLayout, Seg, labels_above, span_bbox
from extraction.normalize.dates import (
    ParsedDate,
    ambiguous_date_warning,
    find_dates,
    infer_date_order,
    infer_year_first,
    year_first_votes,
)
from extraction.normalize.times import find_times
from extraction.schema import ExtractedField


def date_fields(
    layout: PageLayout, date_order: str, currency: Optional[str], warnings: list[str], year_first: Optional[str] = None
) -> dict[str, ExtractedField]:
    texts = [s.text for s in layout.segs]
    order = date_order if date_order in ("DMY", "MDY") else None
    if order is None:
        order, _ = infer_date_order(texts, currency)
    year_first = year_first or infer_year_first(texts)
    found: list[tuple[ParsedDate, Seg, Optional[str]]] = []
    for seg in layout.segs:
        for parsed in find_dates(seg.text, order or "auto", year_first=year_first):
            found.append((parsed, seg, _date_label(layout, seg, parsed)))
    if not found:
        fallback = _fallback_date(layout)
        return {"date": fallback} if fallback is not None else {}
    result: dict[str, ExtractedField] = {}

    def score(item: tuple[ParsedDate, Seg, Optional[str]], want: str) -> float:
        parsed, seg, label = item
        s = 1.0 if label == want else (0.0 if label is None else -1.0)
        s -= 0.2 * seg.index / max(len(layout.segs), 1)
        if find_times(layout.row_of(seg).text):
            s += 0.3  # printed with a time of day: the transaction date
        if label is None and (find_keyword(seg.folded, "invoice_number") or find_keyword(seg.folded, "po_number")):
            s -= 0.6  # a date-like piece of a reference number
        if parsed.value.year < 2000:
            s -= 0.5
        if label is not None:
            s += _date_phrase_bonus(layout, seg, parsed)
        return s

    issued = max(found, key=lambda item: score(item, "date"))
    if issued[2] != "due_date":
        result["date"] = _date_field(issued, 0.9 if issued[2] == "date" else 0.7, warnings)
    dues = [item for item in found if item[2] == "due_date"]
    if dues:
        due = dues[0]
        result["due_date"] = _date_field(due, 0.85, warnings)
    return result


_YEAR_FIRST_TEXT = re.compile(r"(?<!\d)(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)")

_YEAR_MONTH_IN_ID = (
    re.compile(r"(?<!\d)(?P<y>20\d\d)[/-](?P<m>0[1-9]|1[0-2])(?!\d)"),  # INV/2017/04/0008
    re.compile(r"(?<!\d)(?P<m>0[1-9]|1[0-2])[/-](?P<y>20\d\d)(?!\d)"),  # FA04/2017/0057
    re.compile(r"(?<!\d)(?P<y>20\d\d)(?P<m>0[1-9]|1[0-2])(?=\d{2,5}(?!\d))"),  # FACTU2017040057
)


def year_day_month_if_proven(
    layout: PageLayout, date_order: str, currency: Optional[str], found: dict[str, ExtractedField]
) -> dict[str, ExtractedField]:
    """Year-first dates that no single date decides ("2017-11-04"): read them year-day-month
    when only that reading agrees with the rest of the page.

    Why: some layouts print year-day-month. Two signals prove it without a day above 12: the
    due date falls before the issue date only in the year-month-day reading, or the invoice
    number carries the issue year and month ("FA04/2017/...", "INV/2017/04/...") of only the
    year-day-month reading.
    """
    issued = found.get("date")
    if issued is None or not _YEAR_FIRST_TEXT.search(issued.text or ""):
        return {}
    if any(year_first_votes([s.text for s in layout.segs])):
        return {}  # a date on the page already decides
    alternative = date_fields(layout, date_order, currency, [], year_first="YDM")
    if "date" not in alternative or alternative["date"].value == issued.value:
        return {}

    def consistent(fields: dict[str, ExtractedField]) -> Optional[bool]:
        if "date" not in fields or "due_date" not in fields:
            return None
        start, due = date.fromisoformat(str(fields["date"].value)), date.fromisoformat(str(fields["due_date"].value))
        return 0 <= (due - start).days <= 366

    now, then = consistent(found), consistent(alternative)
    if now is False and then is True:
        return alternative
    if now is not False and then is not False:
        number = found.get("invoice_number")
        months = _year_months(str(number.value)) if number is not None else set()
        as_printed = date.fromisoformat(str(issued.value))
        swapped = date.fromisoformat(str(alternative["date"].value))
        if (swapped.year, swapped.month) in months and (as_printed.year, as_printed.month) not in months:
            return alternative
    return {}


def _year_months(identifier: str) -> set[tuple[int, int]]:
    """(year, month) pairs written in a document number: "FA04/2017/0057", "INV/2017/04/0008"."""
    return {(int(m["y"]), int(m["m"])) for pattern in _YEAR_MONTH_IN_ID for m in pattern.finditer(identifier)}


_GLUED_DATE = re.compile(r"(?<=\d)(?P<d>[0-3]\d)[/.-](?P<m>[01]\d)[/.-](?P<y>20\d\d)(?!\d)")

_DATE_AFTER_TIME = re.compile(r"(?<![\d:])[0-2]?\d:[0-5]\d(?P<d>[0-3]?\d)/(?P<m>[01]?\d)/(?P<y>(?:20)?\d\d)(?![\d/])")  # "18:1524/05/18"

_COMPACT_DATE = re.compile(r"(?<![\d\w-])(?P<d>[0-3]\d)(?P<m>[01]\d)(?P<y>20\d\d)(?![\d\w-])")


def _fallback_date(layout: PageLayout) -> Optional[ExtractedField]:
    """No regular date anywhere: a day-first date glued to other digits ("#195360 01/06/2018" read
    as one token) or written without separators ("27032018"). Low confidence by design."""
    for pattern, confidence in ((_GLUED_DATE, 0.45), (_DATE_AFTER_TIME, 0.45), (_COMPACT_DATE, 0.35)):
        for seg in layout.segs:
            for m in pattern.finditer(seg.text):
                year = int(m.group("y"))
                try:
                    value = date(year + 2000 if year < 100 else year, int(m.group("m")), int(m.group("d")))
                except ValueError:
                    continue
                box = span_bbox(seg, m.start(), m.end())
                return Candidate(value.isoformat(), m.group(0), seg, bbox=box).as_field(confidence)
    return None


def _date_kind(text: str) -> Optional[tuple[int, str, str]]:
    """The date keyword in ``text`` nearest its end: (end position, 'date' | 'due_date', phrase)."""
    due = find_keyword(text, "due_date")
    issued = find_keyword(text, "date")
    hits = []
    if due:
        hits.append((due.end(), len(due.group(0)), "due_date", due.group(0)))
    if issued:
        hits.append((issued.end(), len(issued.group(0)), "date", issued.group(0)))
    if not hits:
        return None
    end, _, kind, phrase = max(hits)
    return end, kind, phrase


_ISSUE_WORDS = re.compile(cue_pattern("issue_date_stems"))

_OTHER_DATE_WORDS = re.compile(cue_pattern("other_date_stems"))


def _date_label(layout: PageLayout, seg: Seg, parsed: ParsedDate) -> Optional[str]:
    """'date' / 'due_date' when a keyword sits before the date on its line, to its left, or just above it."""
    found = _date_keyword(layout, seg, parsed)
    return found[1] if found else None


def _date_keyword(layout: PageLayout, seg: Seg, parsed: ParsedDate) -> Optional[tuple[int, str, str]]:
    before = _date_kind(fold(seg.text[: parsed.start]))
    if before:
        return before
    row = layout.row_of(seg)
    left = [s for s in row.segs if s.bbox[2] <= seg.bbox[0] + 2]
    for other in reversed(left):
        kind = _date_kind(other.folded)
        if kind:
            return kind
    box = span_bbox(seg, parsed.start, parsed.end)
    for other in labels_above(layout, seg, box):
        kind = _date_kind(other.folded)
        if kind:
            return kind
    return None


def _date_phrase_bonus(layout: PageLayout, seg: Seg, parsed: ParsedDate) -> float:
    """"Invoice date" outranks "Order date" / "Check in" when a page prints several dates."""
    found = _date_keyword(layout, seg, parsed)
    if found is None:
        return 0.0
    phrase = found[2]
    if _ISSUE_WORDS.search(phrase):
        return 0.3
    if _OTHER_DATE_WORDS.search(phrase):
        return -0.3
    return 0.0


def _date_field(item: tuple[ParsedDate, Seg, Optional[str]], confidence: float, warnings: list[str]) -> ExtractedField:
    parsed, seg, _ = item
    if parsed.ambiguous:
        confidence -= 0.25
        warnings.append(ambiguous_date_warning(parsed))
    return Candidate(parsed.value.isoformat(), parsed.text.strip(), seg).as_field(confidence)


def time_field(layout: PageLayout, date_field: Optional[ExtractedField]) -> Optional[ExtractedField]:
    best: tuple[float, Seg, Any] | None = None
    for seg in layout.segs:
        for t in find_times(seg.text):
            s = 1.0
            if has_keyword(seg.folded, "time"):
                s += 0.5
            if date_field is not None and date_field.page == seg.page and date_field.bbox and abs(date_field.bbox[1] - seg.bbox[1]) < 2 * seg.height:
                s += 0.5
            if best is None or s > best[0]:
                best = (s, seg, t)
    if best is None:
        return None
    return Candidate(best[2].value, best[2].text.strip(), best[1]).as_field(0.5 + 0.2 * best[0])
