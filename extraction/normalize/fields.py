"""One entry point that turns printed text into a field's canonical value.

Every extractor (rules on CPU, TILT on GPU) calls :func:`normalize_field`, so values look the
same whichever engine found them: ISO dates, 2-place decimal strings, ISO 4217 codes, "HH:MM".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from extraction.fields import FIELD_KINDS
from extraction.normalize.currency import CODES, SYMBOLS, WORD_MARKERS, detect_currency
from extraction.normalize.dates import ambiguous_date_warning, find_dates
from extraction.extractors.layout.lexicon import find_keyword, fold, has_keyword
from extraction.normalize.numbers import MAX_AMOUNT, find_amounts, format_amount, parse_amount
from extraction.normalize.times import parse_time

PAYMENT_METHODS: tuple[str, ...] = ("cash", "card", "bank_transfer", "cheque", "mobile", "voucher")
DOCUMENT_TYPES: tuple[str, ...] = ("receipt", "invoice")

_WS = re.compile(r"\s+")
_EDGE_PUNCT = " \t\n:;,.-–—_|*#=~'\"`"


@dataclass
class Normalized:
    value: Any
    warnings: list[str] = field(default_factory=list)


def clean_text(text: str) -> str:
    """Collapse whitespace and strip separators left at the edges (": ACME SDN BHD -")."""
    return _WS.sub(" ", text).strip(_EDGE_PUNCT + " ").strip()


def normalize_amount(text: str) -> Optional[Normalized]:
    value = parse_amount(text)
    if value is None:
        # a label glued to the amount ("RM9.00 CASH", "Total: 12,50"): accept a single money-like number
        money = [a for a in find_amounts(text) if a.has_decimals]
        if len(money) != 1:
            return None
        value = money[0].value
        if abs(value) >= MAX_AMOUNT:  # a long digit run is an id, not money
            return None
    return Normalized(format_amount(value))


def normalize_date(text: str, date_order: str = "auto") -> Optional[Normalized]:
    dates = find_dates(text, "auto" if date_order in ("auto", "YMD") else date_order)
    if not dates:
        return None
    parsed = dates[0]
    warnings = [ambiguous_date_warning(parsed)] if parsed.ambiguous else []
    return Normalized(parsed.value.isoformat(), warnings)


def normalize_payment_method(text: str) -> Optional[str]:
    folded = fold(text)
    best: tuple[int, str] | None = None
    for method in PAYMENT_METHODS:
        m = find_keyword(folded, "payment", method)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), method)
    return best[1] if best else None


def normalize_document_type(text: str) -> Optional[str]:
    folded = fold(text).strip()
    if folded in DOCUMENT_TYPES:
        return folded
    invoice = has_keyword(folded, "invoice_words")
    receipt = has_keyword(folded, "receipt_words")
    if invoice and not receipt:
        return "invoice"
    if receipt:
        return "receipt"
    return None


def normalize_field(field: str, text: str, *, date_order: str = "auto") -> Optional[Normalized]:
    """Canonical value of ``field`` read from ``text``, or None when the text holds none.

    ``date_order`` ("auto", "DMY", "MDY", "YMD") resolves numeric dates; with "auto" an
    ambiguous date is read day-first and a warning says so.
    """
    if text is None:
        return None
    text = str(text)
    kind = FIELD_KINDS.get(field)
    if kind is None:
        raise KeyError(f"unknown field {field!r}; expected one of {', '.join(FIELD_KINDS)}")
    if kind == "amount":
        return normalize_amount(text)
    if kind == "date":
        return normalize_date(text, date_order)
    if kind == "time":
        parsed = parse_time(text)
        return Normalized(parsed.value) if parsed else None
    if kind == "currency":
        code = detect_currency(text)
        if code is None:
            code = _currency_word(text.strip())
        return Normalized(code) if code else None
    if kind == "document_type":
        value = normalize_document_type(text)
        return Normalized(value) if value else None
    if kind == "payment_method":
        value = normalize_payment_method(text)
        return Normalized(value) if value else None
    value = clean_text(text)
    return Normalized(value) if value else None


def _currency_word(text: str) -> Optional[str]:
    """A bare marker given on its own ("RM", "eur"), as extractors often return it."""
    if text.upper() in CODES:
        return text.upper()
    return WORD_MARKERS.get(text) or SYMBOLS.get(text)


__all__ = ["Normalized", "normalize_field", "clean_text", "PAYMENT_METHODS", "DOCUMENT_TYPES"]
