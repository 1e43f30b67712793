"""Amounts printed in any common locale -> :class:`~decimal.Decimal`.

Handles ``1,234.56``, ``1.234,56``, ``1 234,56 €``, ``1'234.56``, ``RM 9.00``, ``-12.00``,
``12.00-``, ``(12.00)``, ``12.-`` and ``12,-``. The decimal separator is decided per number
from its own shape (the last separator followed by one or two digits is the decimal point),
so one parser serves every locale without configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Optional

from extraction.normalize.currency import strip_currency

# One number: digits with optional grouping/decimal separators (space-like, dot, comma, apostrophe),
# a sign or parentheses, and the "12.-" / "12,-" forms.
_NUMBER = re.compile(
    r"(?:(?P<neg>[-−–(])\s?(?:RM|Rs\.?|[$€£₹])?\s?)?(?P<num>"
    r"\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?"  # Indian grouping: 1,23,456.00
    r"|\d{1,3}(?:[.,'’]\d{3})+(?:[.,]\d+)?"  # 1,234.56  1.234,56  1'234.56
    r"|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+,\d{1,2}(?!\d)"  # 1 234,56 (space grouping + decimal comma)
    r"|\d{1,3}(?:[\u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?"  # no-break/thin space grouping
    r"|\d+(?:[.,]\d+)?"
    r"|(?<![\w.,])[.,]\d{1,2}(?!\d))"
    r"(?P<dash>[.,]-{1,2}(?!\d))?(?P<trail>-(?!\d)|\))?"
)
_SPACE_GROUPED = re.compile(r"^([-−–(]?)(\d{1,3}(?: \d{3})+)((?:[.,]\d+)?(?:[.,]-{1,2})?[-)]?)$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


@dataclass(frozen=True)
class AmountMatch:
    """An amount found inside a longer text, with its character span."""

    value: Decimal
    start: int
    end: int
    text: str
    has_decimals: bool  # printed with a decimal part ("12.50", "12.-"), i.e. looks like money


def _to_decimal(num: str) -> Optional[tuple[Decimal, bool]]:
    """Interpret one digit run with separators; returns (value, has_decimal_part)."""
    num = num.replace("’", "'")
    if num[0] in ".,":
        num = "0" + num
    seps = [(i, ch) for i, ch in enumerate(num) if not ch.isdigit()]
    if not seps:
        return Decimal(num), False
    last_i, last_ch = seps[-1]
    tail = num[last_i + 1 :]
    kinds = {ch for _, ch in seps}
    decimal_sep: Optional[str] = None
    if last_ch in ".,":
        if len(kinds) > 1 or len(tail) != 3 or num[:last_i] == "0":
            # "1.234,56", "12.5", "0.125", OCR's "1.234.56": the last dot/comma is the decimal point
            decimal_sep = last_ch
        # else a single "1,234" / "1.234" or repeated "1.234.567": grouping only
    int_part, frac = (num[:last_i], tail) if decimal_sep else (num, "")
    digits = re.sub(r"\D", "", int_part)
    try:
        return Decimal(f"{digits}.{frac}" if frac else digits), bool(frac)
    except InvalidOperation:  # pragma: no cover - regex guarantees digits
        return None


def find_amounts(text: str) -> list[AmountMatch]:
    """Every number in ``text`` read as an amount, left to right (years and ids included).

    Callers filter by context (``has_decimals``, position, keywords); this function only reads.
    Memoised: each field's finder, the table reader and the ranker read the same lines again
    (about nine calls per distinct line on invoices), and the matches are immutable.
    """
    return list(_find_amounts(text))


@lru_cache(maxsize=16384)
def _find_amounts(text: str) -> tuple[AmountMatch, ...]:
    matches: list[AmountMatch] = []
    for m in _NUMBER.finditer(text):
        num = m.group("num").strip()
        # a grouping space followed by a lone 3-digit group could be two numbers ("12 500");
        # keep it as one amount: that is what receipts and French invoices print.
        parsed = _to_decimal(num.rstrip(".,"))
        if parsed is None:
            continue
        value, has_dec = parsed
        if m.group("dash"):
            has_dec = True
        neg, trail = m.group("neg"), m.group("trail")
        negative = (neg in ("-", "−", "–") and not _separator_dash(text, m.start())) or (neg == "(" and trail == ")") or (
            trail == "-" and not m.group("dash")
        )
        if negative:
            value = -value
        matches.append(AmountMatch(value=value, start=m.start(), end=m.end(), text=m.group(0), has_decimals=has_dec))
    return tuple(matches)


def _separator_dash(text: str, start: int) -> bool:
    """Whether the dash at ``text[start]``, before an amount, is punctuation and not a minus sign.

    A minus sign stands alone or follows a space: "-51.88", "Discount -5.00". A dash glued to
    a word or to a label's colon ("Total Payable:-51.88") is a separator, and so is one that
    follows a label's colon and is itself followed by a space ("Total Payable: - 51.88",
    "Total Payable:- 51.88"): a sign is printed against its digits.
    """
    before = text[start - 1 : start]
    if before and (before.isalnum() or before == ":"):
        return True
    spaced = text[start + 1 : start + 2].isspace()
    return spaced and text[:start].rstrip().endswith(":")


#: No receipt or invoice amount reaches this; longer digit runs are ids, not money.
MAX_AMOUNT = Decimal(10) ** 15


def parse_amount(text: str) -> Optional[Decimal]:
    """Read ``text`` as one amount (currency signs and codes allowed); None if it is not one.

    The whole text is read as a number first; failing that, a text holding exactly one
    money-looking number ("TOTAL RM 12.50") gives that number. Texts with several numbers
    are refused rather than guessed (use :func:`find_amounts` to search them).
    """
    if text is None:
        return None
    cleaned = strip_currency(text)
    cleaned = _SPACES.sub(" ", cleaned).strip().rstrip(":").strip()
    if not cleaned:
        return None
    # signs separated by a space from the digits: "- 12.00", "12.00 -"
    cleaned = re.sub(r"^([-−–+])\s+", r"\1", cleaned)
    cleaned = re.sub(r"\s+-$", "-", cleaned)
    cleaned = cleaned.lstrip("+")
    grouped = _SPACE_GROUPED.match(cleaned)
    if grouped:  # "1 234", "75 974.00": spaces group thousands when the whole text is one number
        cleaned = grouped.group(1) + grouped.group(2).replace(" ", "") + grouped.group(3)
    found = find_amounts(cleaned)
    if len(found) == 1 and found[0].start == 0 and not cleaned[found[0].end :].strip():
        return found[0].value if abs(found[0].value) < MAX_AMOUNT else None
    money = [a for a in find_amounts(text) if a.has_decimals and not text[a.end : a.end + 2].lstrip().startswith("%")]
    if len(money) == 1 and len(find_amounts(text)) == 1 and abs(money[0].value) < MAX_AMOUNT:
        return money[0].value
    return None


def format_amount(value: Decimal) -> str:
    """Canonical decimal string with two places: ``Decimal("1234.5") -> "1234.50"``."""
    value = Decimal(value)
    # Enough precision for any magnitude: the default context (28 digits) raises on long ones.
    context = Context(prec=max(28, value.adjusted() + 4))
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=context))


def format_quantity(value: Decimal) -> str:
    """Quantities keep their own precision without trailing zeros ("2,00" -> "2", "1.50" -> "1.5")."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.to_integral_value())
    return format(value.normalize(), "f")
