"""Keyword lexicons (data in ``data/lexicon.json``) and accent/case-insensitive phrase matching.

Kept as data so that a language can be added without touching code.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Optional

from rapidfuzz.distance import Levenshtein

LEXICON_PATH = Path(__file__).with_name("data") / "lexicon.json"


@lru_cache(maxsize=1)
def load_lexicon() -> dict:
    return json.loads(LEXICON_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=65536)  # the same lines are folded by every field's finder
def fold(text: str) -> str:
    """Lower-case and strip accents: "Échéance" -> "echeance" (so lexicons need one spelling)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=None)
def phrases(group: str, sub: Optional[str] = None) -> tuple[str, ...]:
    """Folded phrases of a lexicon group, longest first.

    A group named in the lexicon's ``from_vocabulary`` also holds the primary labels of those
    label-vocabulary fields, so the printed labels of e.g. tax and registration numbers in every
    language are kept once (in the vocabulary) and not copied into the lexicon.
    """
    data = load_lexicon()["fields"][group]
    if sub is not None:
        data = data[sub]
    words = {fold(p) for p in data}
    if sub is None:
        words |= {fold(p) for p in vocabulary_labels(group)} - _claimed_by_other_groups(group)
    return tuple(sorted(words, key=len, reverse=True))


@lru_cache(maxsize=None)
def _claimed_by_other_groups(group: str) -> frozenset[str]:
    """Phrases the lexicon itself files under another group of the same kind (labels, or column titles).

    Why: a few labels mean different things on different documents ("Net total" is the amount
    paid on a Malaysian receipt, the amount before tax on a European invoice). The vocabulary
    files each under one field; where the lexicon has decided otherwise for the rules, its own
    placement stands and the vocabulary's does not add a second, competing one.
    """
    claimed: set[str] = set()
    column = group.startswith("line_header_")  # column titles compete with column titles only
    for name, data in load_lexicon()["fields"].items():
        if name == group or name.startswith("line_header_") != column:
            continue
        lists = data.values() if isinstance(data, dict) else [data]
        for phrases_of in lists:
            if isinstance(phrases_of, list):
                claimed.update(fold(p) for p in phrases_of if isinstance(p, str))
    return frozenset(claimed)


@lru_cache(maxsize=None)
def vocabulary_labels(group: str) -> tuple[str, ...]:
    """The primary labels of the vocabulary fields that ``from_vocabulary`` maps ``group`` to."""
    fields = load_lexicon().get("from_vocabulary", {}).get(group, [])
    if not fields:
        return ()
    from extraction.vocabulary import load_vocabulary  # the vocabulary is read only when a group asks for it

    vocabulary = load_vocabulary()
    return tuple(p for name in fields for p in vocabulary.phrases(name, strength="primary"))


@lru_cache(maxsize=None)
def _pattern(group: str, sub: Optional[str] = None) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in phrases(group, sub))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


@lru_cache(maxsize=None)
def cue_pattern(name: str) -> str:
    """A cue list of the lexicon (``cues`` in lexicon.json) as a regex alternation, in data order.

    Why: some rules need a word list inside a larger pattern ("Hauptstraße 12", "2 pcs", a stem
    such as "factur"); the words stay data and only the pattern around them is code.
    """
    return "|".join(re.escape(word) for word in load_lexicon()["cues"][name])


class FuzzyMatch:
    """A keyword found with one or two OCR slips ("Subtotai", "Echéacnce"); quacks like re.Match."""

    def __init__(self, phrase: str, start: int, end: int) -> None:
        self._phrase, self._start, self._end = phrase, start, end

    def group(self, index: int = 0) -> str:
        return self._phrase

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


@lru_cache(maxsize=65536)  # the same lines are asked about many times per document
def find_keyword(text: str, group: str, sub: Optional[str] = None) -> Optional[re.Match[str] | FuzzyMatch]:
    """First (leftmost, then longest) lexicon phrase of ``group`` in ``text``; spans index the folded text.

    Folding keeps length for Latin text in practice (one combining mark dropped per letter), so
    spans are close enough to locate the keyword's end on the line. Long single-word keywords
    also match with one edit (two for 10+ letters): OCR misreads labels more often than values.
    """
    folded = fold(text)
    if not _LETTER.search(folded):
        return None  # every phrase holds a letter: amounts, dates and codes need no search
    exact = _pattern(group, sub).search(folded)
    repaired = letters_for_lookalikes(folded)
    if repaired is not folded:  # "Tota1 Due": "total due" read with the lookalike, not "due" alone
        misread = _pattern(group, sub).search(repaired)
        if misread is not None and (exact is None or (misread.start(), -misread.end()) < (exact.start(), -exact.end())):
            exact = misread
        folded = repaired
    if exact is not None:
        return exact
    if group not in FUZZY_GROUPS and not group.startswith("line_header_"):
        return None
    long_words = _long_words(group, sub)
    if not long_words:
        return None
    for token in _TOKEN.finditer(folded):
        word = token.group(0)
        if len(word) < 7:
            continue
        phrase = _near_phrase(word, group, sub)
        if phrase is not None:
            return FuzzyMatch(phrase, token.start(), token.end())
    return None


@lru_cache(maxsize=65536)  # a page's words recur across its lines and across the groups asked
def _near_phrase(word: str, group: str, sub: Optional[str]) -> Optional[str]:
    """The first long single-word phrase of the group within one edit of ``word`` (two for 10+ letters)."""
    for phrase in _long_words(group, sub):
        limit = 2 if len(phrase) >= 10 else 1
        if abs(len(phrase) - len(word)) <= limit and _within(word, phrase, limit):
            return phrase
    return None


#: a word holding letters and digits ("te1", "t0tal", "ss15")
_MIXED_WORD = re.compile(r"\b(?=\w*[^\W\d_])(?=\w*\d)\w+\b")


@lru_cache(maxsize=1)
def _lookalikes() -> dict[int, str]:
    return {ord(digit): letter for digit, letter in load_lexicon()["ocr_lookalikes"].items() if not digit.startswith("_")}


@lru_cache(maxsize=65536)
def letters_for_lookalikes(folded: str) -> str:
    """``folded`` with the digits of its mostly-letter words read as the letters they look like
    ("te1 no.:" -> "tel no.:", "t0tal" -> "total"; the table is the lexicon's ``ocr_lookalikes``).

    Why: recognisers read a thin "l" as "1" and an "O" as "0" in labels as often as in values, and
    a label missed ends the address at the wrong line or loses a total. Only for finding labels:
    words with as many digits as letters are codes ("ss15", "u13", "nu11") and stay; a word with
    another digit stays. Same length, so match spans index the text as printed. Returns
    ``folded`` itself (the same object) when nothing was read differently.
    """
    table = _lookalikes()

    def letters(match: re.Match[str]) -> str:
        word = match.group(0)
        letters_in = sum(ch.isalpha() for ch in word)
        digits = [ch for ch in word if ch.isdigit()]
        if letters_in < 2 or len(digits) >= letters_in or any(ord(d) not in table for d in digits):
            return word
        return word.translate(table)

    repaired = _MIXED_WORD.sub(letters, folded)
    return folded if repaired == folded else repaired


_TOKEN = re.compile(r"[a-z']+")
_LETTER = re.compile(r"[^\W\d_]")

#: Label groups read with OCR-slip tolerance; value words (payment methods, names, places) are not,
#: or "Montant" would read as "contant" (cash).
FUZZY_GROUPS = frozenset(
    {"total", "subtotal", "tax", "tip", "discount", "rounding", "change", "paid", "date", "due_date",
     "invoice_number", "po_number", "vendor_tax_id"}
)


@lru_cache(maxsize=None)
def _long_words(group: str, sub: Optional[str] = None) -> tuple[str, ...]:
    return tuple(p for p in phrases(group, sub) if len(p) >= 7 and re.fullmatch(r"[a-z']+", p))


def _within(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of ``a`` and ``b`` is at most ``limit`` (rapidfuzz stops at the cutoff)."""
    return Levenshtein.distance(a, b, score_cutoff=limit) <= limit


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
