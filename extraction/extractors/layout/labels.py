"""Amount labels and candidate values shared by the rule extractor's field finders.

A row's label class ("total", "tax", "paid", ...) comes from the longest lexicon phrase on it;
money on a line is a number printed with decimals or beside a currency mark. The extractor,
the vendor and address finders (:mod:`.vendor`, :mod:`.address`) and the table reader
(:mod:`.tables`) all use these.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from extraction.layout import BBox, round_box
from extraction.normalize.dates import find_dates
from extraction.extractors.layout.lexicon import find_keyword
from extraction.normalize.numbers import AmountMatch, find_amounts
from extraction.extractors.layout.rows import Seg
from extraction.schema import ExtractedField
from extraction.vocabulary import match_labels


AMOUNT_CLASSES = ("total", "subtotal", "tax", "tip", "discount", "rounding", "change", "paid")
#: Classes a row label can have; on equal keyword length the earlier class wins.
LABEL_CLASSES = ("not_amount", "vendor_tax_id", "change", "subtotal", "rounding", "discount", "tip", "tax", "total", "paid")


@dataclass
class Candidate:
    """A value read on the page: the value, the text as printed, the line it is on, and its own
    box when it is only part of that line."""

    value: Any
    text: str
    seg: Seg
    bbox: Optional[BBox] = None

    def as_field(self, confidence: float) -> ExtractedField:
        return make_field(self.value, self.text, confidence, page=self.seg.page, box=self.bbox or self.seg.bbox)


def make_field(value: Any, text: str, confidence: float, *, page: Optional[int], box: Optional[BBox]) -> ExtractedField:
    """The one place an extracted field is built: confidence clamped to [0, 1] and rounded, the
    box rounded for the output. A field with no place on the page (derived from others) has no
    page and box."""
    return ExtractedField(
        value=value,
        text=text,
        confidence=round(max(0.0, min(1.0, confidence)), 3),
        page=page,
        bbox=round_box(box) if box is not None else None,
    )


def classify(seg: Seg) -> tuple[Optional[str], Optional[re.Match[str]]]:
    """The label class of a line: the longest lexicon phrase among the amount-ish classes."""
    return _classify_folded(seg.folded)


@lru_cache(maxsize=65536)  # every amount finder classifies the same lines again
def _classify_folded(folded: str) -> tuple[Optional[str], Optional[re.Match[str]]]:
    best: tuple[int, int, str, re.Match[str]] | None = None
    for rank, cls in enumerate(LABEL_CLASSES):
        m = find_keyword(folded, cls)
        if m is None:
            continue
        key = (len(m.group(0)), -rank)
        if best is None or key > best[:2]:
            best = (key[0], key[1], cls, m)
    if best is None:
        return None, None
    return best[2], best[3]


#: How many reading-order lines from the top a document's title is looked for in.
TITLE_LINES = 60


def is_credit_note(segs: Sequence[Seg]) -> bool:
    """The document titles itself a credit note (a refund or correction; vocabulary
    ``credit_note``): its totals may be zero or negative, and are kept with the sign printed."""
    return any(
        m.strength == "primary"
        for seg in segs[:TITLE_LINES]
        if any(ch.isalpha() for ch in seg.text)
        for m in match_labels(seg.text, fields=("credit_note",), min_score=0.9)
    )


_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥₹]|\b(?:rs\.?|rm|inr|usd|eur|gbp|myr|sgd|chf)\.?)\s?$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"^\s?(?:[€$£]|(?:eur|usd|gbp|chf|inr|myr)\b)", re.IGNORECASE)


def money_in(text: str, start: int = 0) -> list[AmountMatch]:
    """Money-looking amounts in ``text`` after ``start``: decimals printed (or a currency mark
    beside a whole number: "Rs 1939"), not a percentage."""
    return [a for a in _money_of(text) if a.start >= start]


@lru_cache(maxsize=65536)  # every finder and the ranker read the money of the same lines
def _money_of(text: str) -> tuple[AmountMatch, ...]:
    result = []
    dates = [(d.start, d.end) for d in find_dates(text)] if any(ch in text for ch in "./-") else []
    for a in find_amounts(text):
        if any(ds < a.end and a.start < de for ds, de in dates):
            continue  # "21.05.14" is a date, not 21.05
        if not a.has_decimals and not (_CURRENCY_BEFORE.search(text[max(0, a.start - 5) : a.start + (len(a.text) - len(a.text.lstrip()))]) or _CURRENCY_AFTER.match(text[a.end : a.end + 4])):
            continue
        after = text[a.end : a.end + 2].lstrip()
        if after.startswith("%"):
            continue
        result.append(a)
    return tuple(result)
