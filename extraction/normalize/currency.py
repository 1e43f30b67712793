"""Currency detection: symbols and ISO 4217 codes printed on a document -> ISO code."""

from __future__ import annotations

import re
from collections import Counter
from typing import Optional

from extraction.extractors.layout.lexicon import cue_pattern, fold, phrases

#: Multi-character prefixes and symbols first: longest match wins ("US$" before "$").
SYMBOLS: dict[str, str] = {
    "US$": "USD", "U$S": "USD", "S$": "SGD", "A$": "AUD", "AU$": "AUD", "C$": "CAD", "CA$": "CAD",
    "NZ$": "NZD", "HK$": "HKD", "R$": "BRL", "MX$": "MXN",
    "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₱": "PHP", "฿": "THB", "₫": "VND",
    "₺": "TRY", "₽": "RUB", "₪": "ILS", "₦": "NGN", "zł": "PLN", "Kč": "CZK", "$": "USD",
}
#: Word-like markers that need word boundaries (case-sensitive where collisions are likely).
WORD_MARKERS: dict[str, str] = {
    "RM": "MYR", "Rs": "INR", "Rs.": "INR", "INR": "INR", "Rp": "IDR", "EURO": "EUR", "EUROS": "EUR", "Euro": "EUR",
    "Euros": "EUR", "euros": "EUR", "euro": "EUR", "Fr.": "CHF", "SFr.": "CHF", "kr": "SEK",
}
CODES: frozenset[str] = frozenset(
    "USD EUR GBP JPY CNY INR MYR SGD AUD CAD NZD HKD CHF SEK NOK DKK PLN CZK HUF RON BGN HRK TRY RUB UAH "
    "BRL MXN ARS CLP COP PEN ZAR NGN KES EGP MAD AED SAR QAR KWD BHD OMR ILS IDR THB VND PHP KRW TWD PKR "
    "LKR BDT NPR".split()
)

#: a code named as the currency ("in CAD", "Währung: EUR") or printed after an amount's label
_NAMED_CURRENCY = re.compile(rf"(?:\bin|{'|'.join(re.escape(p) for p in phrases('currency'))})\W{{0,3}}$")
_AMOUNT_LABEL_BEFORE = re.compile(rf"(?i)\b(?:{cue_pattern('amount_words')})\b[^\d]{{0,12}}$")
_CODE_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(CODES)) + r")(?![A-Za-z])")
_WORD_RE = re.compile(
    r"(?<![A-Za-z])(" + "|".join(re.escape(k) for k in sorted(WORD_MARKERS, key=len, reverse=True)) + r")(?![A-Za-z])"
)
_SYMBOL_RE = re.compile("|".join(re.escape(k) for k in sorted(SYMBOLS, key=len, reverse=True)))
_STRIP_RE = re.compile(
    "|".join(
        [_SYMBOL_RE.pattern, r"(?<![A-Za-z])(?:" + "|".join(sorted(CODES)) + r")(?![A-Za-z])",
         r"(?<![A-Za-z])(?:" + "|".join(re.escape(k) for k in sorted(WORD_MARKERS, key=len, reverse=True)) + r")(?![A-Za-z])"]
    )
)


def currency_mentions(text: str) -> list[tuple[str, int, int]]:
    """Every currency marker in ``text`` as (ISO code, start, end)."""
    found: list[tuple[str, int, int]] = []
    for m in _CODE_RE.finditer(text):
        # a code counts beside an amount, alone, or named as the currency ("in CAD"); "SDN BHD" and
        # "PEN" are words, not Bahraini dinars or Peruvian soles
        near_number = re.search(r"\d", text[max(0, m.start() - 4) : m.start()]) or re.match(
            r"\s{0,3}-?\.?\d[\d.,]*(?!\s*(?:pcs?|x|units?|qty|pack|ml|kg|g)\b)", text[m.end() :], re.IGNORECASE
        )
        alone = text.strip() == m.group(1)
        named = _NAMED_CURRENCY.search(fold(text[: m.start()])) or _AMOUNT_LABEL_BEFORE.search(text[: m.start()])
        if near_number or alone or named:
            found.append((m.group(1), m.start(), m.end()))
    for m in _WORD_RE.finditer(text):
        key = m.group(1)
        # "RM" and "Rs" must touch or precede a number to count (avoid words like "RM." in addresses)
        after = text[m.end() : m.end() + 3]
        if key in ("RM", "Rs", "Rs.", "kr", "Rp") and not re.match(r"\s?-?[\d.]", after):
            before = text[max(0, m.start() - 3) : m.start()]
            # also as a column or label unit: "RM" alone, "(RM)", "Amount RM:"
            unit = re.search(r"(?:^|[(\s])$", text[: m.start()]) and re.match(r"\s*(?:[):]|$)", text[m.end() :])
            if not re.search(r"\d\s?$", before) and not unit:
                continue
        found.append((WORD_MARKERS[key], m.start(), m.end()))
    for m in _SYMBOL_RE.finditer(text):
        if any(s <= m.start() < e for _, s, e in found):
            continue
        found.append((SYMBOLS[m.group(0)], m.start(), m.end()))
    return sorted(found, key=lambda t: t[1])


def detect_currency(text: str) -> Optional[str]:
    """The ISO 4217 code most often marked in ``text`` (codes outrank "$"), or None."""
    if not text:
        return None
    mentions = currency_mentions(text)
    if not mentions:
        return None
    counts = Counter(code for code, _, _ in mentions)
    explicit = [c for c, _, _ in mentions if c != "USD"]
    if "USD" in counts and explicit and not re.search(r"(?<![A-Za-z])USD(?![A-Za-z])|US\$", text):
        # a bare "$" beside another currency's code: the code names which dollar/currency
        counts.pop("USD")
    return counts.most_common(1)[0][0]


def strip_currency(text: str) -> str:
    """Remove currency symbols and codes (used before reading a number)."""
    return _STRIP_RE.sub(" ", text)
