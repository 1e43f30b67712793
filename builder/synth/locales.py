"""Locales of the synthetic documents: how each country prints numbers, dates and money.

The knowledge (separators, date patterns, currencies, VAT rates, names, streets, items) is in
``data/locales.json``; the printed labels come from :mod:`extraction.vocabulary`, so every
document speaks the vocabulary's languages with the phrases real documents use.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Optional

from extraction.vocabulary import load_vocabulary

DATA_FILE = Path(__file__).with_name("data") / "locales.json"
CENT = Decimal("0.01")


@functools.lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    with DATA_FILE.open("r", encoding="utf-8") as handle:
        return json.load(handle)


def locale_names() -> list[str]:
    return list(data()["locales"])


@dataclass(frozen=True)
class Money:
    """How one document prints money: the currency, its sign, where it goes, the separators."""

    code: str
    sign: str
    placement: str  # prefix | suffix
    decimal: str
    group: str  # "" for none

    def number(self, value: Decimal, places: int = 2) -> str:
        quantum = Decimal(1).scaleb(-places)
        value = value.quantize(quantum, rounding=ROUND_HALF_UP)
        sign = "-" if value < 0 else ""
        whole, _, frac = f"{abs(value):.{places}f}".partition(".")
        if self.group:
            groups = []
            while len(whole) > 3:
                groups.insert(0, whole[-3:])
                whole = whole[:-3]
            whole = self.group.join([whole, *groups])
        return f"{sign}{whole}{self.decimal + frac if places else ''}"

    def amount(self, value: Decimal, with_sign: bool = False) -> str:
        text = self.number(value)
        if not with_sign:
            return text
        space = "" if self.sign in ("$", "£", "RM") and self.placement == "prefix" else " "
        return f"{self.sign}{space}{text}" if self.placement == "prefix" else f"{text} {self.sign}"

    def quantity(self, value: Decimal) -> str:
        """Whole quantities without decimals, others with as many as they need (2.5, 0.75)."""
        if value == value.to_integral_value():
            return self.number(value, 0)
        places = 1 if (value * 10) == (value * 10).to_integral_value() else 2
        return self.number(value, places)


@dataclass(frozen=True)
class Locale:
    key: str
    spec: dict[str, Any]

    @property
    def language(self) -> str:
        return str(self.spec["language"])

    @property
    def country(self) -> str:
        return str(self.spec["country"])

    def money(self, rng: random.Random) -> Money:
        code, sign, placement = rng.choice(self.spec["currencies"])
        group = self.spec["group"] if rng.random() < 0.8 else ""
        return Money(code=code, sign=sign, placement=placement, decimal=self.spec["decimal"], group=group)

    def date(self, value: dt.date, pattern: str) -> str:
        months = data()["months"][self.language]
        month = months[value.month - 1]
        short = month[:3] + ("." if self.language in ("de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da") and len(month) > 4 else "")
        return pattern.format(d=value.day, m=value.month, Y=value.year, y=value.year % 100, Month=month, Mon=short)

    def items(self, kind: str) -> list[str]:
        return list(data()["items"][self.language][kind])

    def units(self) -> list[str]:
        return list(data()["units"][self.language])

    def phrase(self, name: str, **values: Any) -> str:
        return str(data()["phrases"][self.language][name]).format(**values)


def get_locale(key: str) -> Locale:
    locales = data()["locales"]
    if key not in locales:
        raise KeyError(f"unknown locale {key!r}; known: {', '.join(locales)}")
    return Locale(key, locales[key])


def digits(pattern: str, rng: random.Random) -> str:
    """``"DE{9}"`` -> ``"DE482913375"``: each ``{N}`` becomes N random digits (the first not 0)."""
    out = []
    rest = pattern
    while "{" in rest:
        head, _, tail = rest.partition("{")
        count, _, rest = tail.partition("}")
        out.append(head)
        out.append(str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(int(count) - 1)))
    out.append(rest)
    return "".join(out)


def label(field: str, language: str, rng: random.Random, *, abbreviations: float = 0.3, colon: Optional[float] = 0.6) -> str:
    """A printed label for a field: a primary phrase of the vocabulary, sometimes abbreviated,
    sometimes followed by a colon; English when the language has none."""
    vocabulary = load_vocabulary()
    entries = [e for e in vocabulary.entries if e.field == field and e.lang == language and e.strength == "primary" and e.value is None] or [
        e for e in vocabulary.entries if e.field == field and e.lang == "en" and e.strength == "primary"
    ]
    short = [e for e in entries if e.abbreviation]
    long_ = [e for e in entries if not e.abbreviation] or entries
    pool = short if short and rng.random() < abbreviations else long_
    text = rng.choice(pool).phrase
    if rng.random() < 0.25:
        text = text.upper()
    elif text[:1].islower() and rng.random() < 0.8:
        text = text[0].upper() + text[1:]
    if colon is not None and rng.random() < colon and not text.endswith((":", "#")):
        text += ":"
    return text


def money_round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
