"""Keyword lexicons (data in ``lexicon.json``) and accent/case-insensitive phrase matching.

Kept as data so that a language can be added without touching code.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Optional

LEXICON_PATH = Path(__file__).with_name("lexicon.json")


@lru_cache(maxsize=1)
def load_lexicon() -> dict:
    return json.loads(LEXICON_PATH.read_text(encoding="utf-8"))


def fold(text: str) -> str:
    """Lower-case and strip accents: "Échéance" -> "echeance" (so lexicons need one spelling)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=None)
def phrases(group: str, sub: Optional[str] = None) -> tuple[str, ...]:
    """Folded phrases of a lexicon group, longest first."""
    data = load_lexicon()["fields"][group]
    if sub is not None:
        data = data[sub]
    return tuple(sorted({fold(p) for p in data}, key=len, reverse=True))


@lru_cache(maxsize=None)
def _pattern(group: str, sub: Optional[str] = None) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in phrases(group, sub))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


def find_keyword(text: str, group: str, sub: Optional[str] = None) -> Optional[re.Match[str]]:
    """First (leftmost, then longest) lexicon phrase of ``group`` in ``text``; spans index the folded text.

    Folding keeps length for Latin text in practice (one combining mark dropped per letter), so
    spans are close enough to locate the keyword's end on the line.
    """
    return _pattern(group, sub).search(fold(text))


def has_keyword(text: str, group: str, sub: Optional[str] = None) -> bool:
    return find_keyword(text, group, sub) is not None


@lru_cache(maxsize=1)
def month_names() -> dict[str, int]:
    """Folded month name or abbreviation -> month number, for every language in the lexicon."""
    result: dict[str, int] = {}
    for number, names in load_lexicon()["months"].items():
        for name in names:
            result[fold(name).rstrip(".")] = int(number)
    return result
