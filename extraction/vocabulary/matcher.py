"""Finding the vocabulary's labels in printed text.

Every window of up to a few tokens on one line (not crossing a hard break such as a colon, a
tab or a wide gap, and never a number) is compared by skeleton with every label, so spacing,
punctuation, case and accents never matter (:mod:`extraction.vocabulary.text`). Windows that no
label matches exactly are compared with rapidfuzz, allowing one slip in a label of 8-11
letters and two from 12 (``Rechnungsnumrner``); these matches say ``fuzzy`` and score below 1.

Overlapping matches: the longest wins (``Total excl. VAT`` is a subtotal, not a total);
different fields matching the same words are all kept (``Total`` heads a column and labels a
total; the caller's context decides); a fuzzy match only stands where no exact one touches it. A label's ``excludes`` words printed next to it on its
line veto it unless an ``unless`` word is there too.

Each match also reports the value printed after it on the same line, if any
(``Invoice No: 4711``, ``n°562044387``), up to the next label, a hard break or the line's end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable, Optional, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from extraction.vocabulary.store import LabelEntry, VocabularyError
from extraction.vocabulary.text import Token, skeleton, tokenize

#: Score of an exact match through OCR digit-for-letter reading (``T0TAL``).
OCR_SCORE = 0.95
#: Shortest label skeleton compared fuzzily (shorter words are too often other words one letter
#: away: "Contact" / "contant"), and the skeleton length from which two slips are allowed.
FUZZY_MIN_CHARS = 8
FUZZY_TWO_SLIPS_CHARS = 12
#: Texts (and fuzzy keys) whose answers are kept per matcher.
MEMO_TEXTS = 8192
#: How many tokens either side of a label are read for its ``excludes`` words.
CONTEXT_TOKENS = 4
_EXTRA_WINDOW = 2  # a label's words may be split further by OCR ("SUB TOT AL")

_VALUE_LEAD = re.compile(r"[ \t.:#°º=>\-–—)]*")
_VALUE_STOP = re.compile(r"\n| {2,}|\t|\|")


@dataclass(frozen=True)
class LabelMatch:
    """One label found in a text: which field it names, where, how sure, and what follows it."""

    field: str
    lang: str  # the first language (in vocabulary order) whose entry matched
    languages: tuple[str, ...]  # every language with this label
    phrase: str  # the vocabulary's spelling
    text: str  # as printed
    start: int
    end: int
    score: float  # 1.0 exact; 0.95 through OCR digit reading; lower for fuzzy matches
    strength: str  # primary | secondary
    abbreviation: bool
    fuzzy: bool
    line: int
    meaning: Optional[str] = None  # the entry's value, for labels that are values (payment_means)
    value_text: Optional[str] = None  # what follows on the same line
    value_start: Optional[int] = None
    value_end: Optional[int] = None

    @property
    def value_token(self) -> Optional[str]:
        """The first word of the value after the label (``"FA-2024-001"`` of ``"FA-2024-001 du 12/03"``)."""
        return self.value_text.split()[0] if self.value_text else None


@dataclass(frozen=True)
class _Compiled:
    entry: LabelEntry
    excludes: frozenset[str]
    unless: frozenset[str]


class Matcher:
    """A compiled vocabulary; build once (cheap to keep), call :meth:`match` per text."""

    def __init__(self, entries: Sequence[LabelEntry], language_order: Sequence[str]) -> None:
        self.order = {lang: i for i, lang in enumerate(language_order)}
        self.index: dict[str, list[_Compiled]] = {}
        longest = 1
        for entry in entries:
            words = tokenize(entry.phrase)
            key = "".join(t.text for t in words)
            if not key or any(t.kind == "number" for t in words):
                raise VocabularyError(f"{entry.field}.json: labels.{entry.lang}: {entry.phrase!r} must hold letters and no numbers (a label never spans a number)")
            longest = max(longest, len(words))
            compiled = _Compiled(entry, frozenset(filter(None, map(skeleton, entry.excludes))), frozenset(filter(None, map(skeleton, entry.unless))))
            self.index.setdefault(key, []).append(compiled)
        self.max_tokens = longest + _EXTRA_WINDOW
        self._fuzzy_keys = tuple(sorted(
            key for key, items in self.index.items() if len(key) >= FUZZY_MIN_CHARS and any(c.entry.strength == "primary" and not c.entry.abbreviation for c in items)
        ))
        # Extractors ask about the same lines many times (each field's finder, the ranker), and
        # the same words recur across documents: the answers depend on the text alone.
        self._answers = lru_cache(maxsize=MEMO_TEXTS)(self._match_uncached)
        self._closest = lru_cache(maxsize=MEMO_TEXTS)(self._closest_uncached)
        self._buckets: dict[tuple[str, int, int], list[str]] = {}

    # ------------------------------------------------------------------ public

    def match(
        self,
        text: str,
        *,
        fields: Optional[Iterable[str]] = None,
        languages: Optional[Iterable[str]] = None,
        fuzzy: bool = True,
        min_score: float = 0.8,
        keep_overlaps: bool = False,
    ) -> list[LabelMatch]:
        """Labels in ``text``, in reading order. ``fields``/``languages`` restrict the vocabulary;
        ``keep_overlaps`` returns shorter labels inside longer ones too."""
        field_key = frozenset(fields) if fields is not None else None
        lang_key = tuple(languages) if languages is not None else None
        return list(self._answers(text, field_key, lang_key, fuzzy, min_score, keep_overlaps))

    def _match_uncached(
        self,
        text: str,
        fields: Optional[frozenset[str]],
        languages: Optional[tuple[str, ...]],
        fuzzy: bool,
        min_score: float,
        keep_overlaps: bool,
    ) -> tuple[LabelMatch, ...]:
        want_fields = set(fields) if fields is not None else None
        want_langs = list(languages) if languages is not None else None
        tokens = _tokens(text)
        found: list[LabelMatch] = []
        pending: list[tuple[int, int, str]] = []
        for i, first in enumerate(tokens):
            if first.kind == "number":
                continue
            key = ""
            for j in range(i, min(len(tokens), i + self.max_tokens)):
                token = tokens[j]
                if token.kind == "number" or token.segment != first.segment:
                    break
                key += token.text
                if key in self.index:
                    ocr = any(t.ocr for t in tokens[i : j + 1])
                    found.extend(self._matches(text, tokens, i, j, key, OCR_SCORE if ocr else 1.0, False, want_fields, want_langs))
                elif fuzzy and token.kind == "word" and len(key) >= FUZZY_MIN_CHARS - 1:
                    pending.append((i, j, key))
        if fuzzy:
            found.extend(self._fuzzy(text, tokens, pending, min_score, want_fields, want_langs))
        found = [m for m in found if m.score >= min_score]
        if not keep_overlaps:
            found = _resolve_overlaps(found)
        found.sort(key=lambda m: (m.start, -m.end, m.field))
        return tuple(_with_values(text, found))

    # ------------------------------------------------------------------ internals

    def _matches(
        self,
        text: str,
        tokens: list[Token],
        i: int,
        j: int,
        key: str,
        score: float,
        is_fuzzy: bool,
        want_fields: Optional[set[str]],
        want_langs: Optional[list[str]],
    ) -> list[LabelMatch]:
        by_field: dict[tuple[str, Optional[str]], list[LabelEntry]] = {}
        near: Optional[set[str]] = None
        for compiled in self.index[key]:
            entry = compiled.entry
            if want_fields is not None and entry.field not in want_fields:
                continue
            if want_langs is not None and entry.lang not in want_langs:
                continue
            if compiled.excludes:
                if near is None:
                    near = _context_keys(tokens, i, j)
                if near & compiled.excludes and not near & compiled.unless:
                    continue
            by_field.setdefault((entry.field, entry.value), []).append(entry)
        out = []
        rank = (lambda lang: want_langs.index(lang)) if want_langs is not None else (lambda lang: self.order.get(lang, len(self.order)))
        for (name, meaning), entries in by_field.items():
            entries.sort(key=lambda e: (e.strength != "primary", rank(e.lang)))
            best = entries[0]
            langs = tuple(sorted({e.lang for e in entries}, key=rank))
            start, end = tokens[i].start, tokens[j].end
            out.append(
                LabelMatch(
                    field=name,
                    lang=langs[0],
                    languages=langs,
                    phrase=best.phrase,
                    text=text[start:end],
                    start=start,
                    end=end,
                    score=score,
                    strength=best.strength,
                    abbreviation=best.abbreviation,
                    fuzzy=is_fuzzy,
                    line=tokens[i].line,
                    meaning=meaning,
                )
            )
        return out

    def _fuzzy(
        self,
        text: str,
        tokens: list[Token],
        pending: list[tuple[int, int, str]],
        min_score: float,
        want_fields: Optional[set[str]],
        want_langs: Optional[list[str]],
    ) -> list[LabelMatch]:
        out: list[LabelMatch] = []
        for i, j, key in pending:
            best = self._closest(key)
            if best is None:
                continue
            target, distance = best
            if distance == 0 or len(target) < FUZZY_MIN_CHARS:
                continue
            score = 1.0 - distance / max(len(target), len(key))
            if score < min_score:
                continue
            out.extend(self._matches(text, tokens, i, j, target, score, True, want_fields, want_langs))
        return out


    def _closest_uncached(self, key: str) -> Optional[tuple[str, int]]:
        """The label skeleton nearest ``key`` within its allowed slips, and the distance."""
        slips = 2 if len(key) >= FUZZY_TWO_SLIPS_CHARS else 1
        bucket = (key[0], len(key), slips)
        choices = self._buckets.get(bucket)
        if choices is None:  # a dict of its own: an lru_cache would hash the whole key tuple per call
            choices = self._buckets[bucket] = _bucket(self._fuzzy_keys, *bucket)
        if not choices:
            return None
        best = process.extractOne(key, choices, scorer=Levenshtein.distance, score_cutoff=slips)
        return None if best is None else (best[0], int(best[1]))


@lru_cache(maxsize=MEMO_TEXTS)  # one text is asked about with several field and language filters
def _tokens(text: str) -> tuple[Token, ...]:
    return tuple(tokenize(text))


def _bucket(keys: tuple[str, ...], first: str, length: int, slips: int) -> list[str]:
    """Label skeletons that start like ``first`` and are within ``slips`` of ``length`` long."""
    return [k for k in keys if k[0] == first and abs(len(k) - length) <= slips]


def _context_keys(tokens: list[Token], i: int, j: int) -> set[str]:
    """Skeletons of 1-3 token windows beside tokens i..j on their segment, up to a number."""
    segment = tokens[i].segment
    left: list[str] = []
    k = i - 1
    while k >= 0 and len(left) < CONTEXT_TOKENS and tokens[k].segment == segment and tokens[k].kind != "number":
        left.insert(0, tokens[k].text)
        k -= 1
    right: list[str] = []
    k = j + 1
    while k < len(tokens) and len(right) < CONTEXT_TOKENS and tokens[k].segment == segment and tokens[k].kind != "number":
        right.append(tokens[k].text)
        k += 1
    keys: set[str] = set()
    for side in (left, right):
        for a in range(len(side)):
            for b in range(a + 1, min(len(side), a + 3) + 1):
                keys.add("".join(side[a:b]))
    return keys


def _resolve_overlaps(found: list[LabelMatch]) -> list[LabelMatch]:
    """Exact labels first, the longest winning where they overlap (same-span labels of other
    fields stay); then fuzzy labels, best score first, only where no kept label is."""
    kept: list[LabelMatch] = []
    for m in sorted((m for m in found if not m.fuzzy), key=lambda m: (-(m.end - m.start), -m.score)):
        if not any(k.start < m.end and m.start < k.end and (k.end - k.start) > (m.end - m.start) for k in kept):
            kept.append(m)
    exact = list(kept)
    for m in sorted((m for m in found if m.fuzzy), key=lambda m: (-m.score, -(m.end - m.start))):
        if any(k.start < m.end and m.start < k.end for k in exact):
            continue
        if any(k.start < m.end and m.start < k.end and (k.start, k.end) != (m.start, m.end) for k in kept if k.fuzzy):
            continue
        kept.append(m)
    return kept


def _with_values(text: str, matches: list[LabelMatch]) -> list[LabelMatch]:
    """Attach to each label the text after it on its line, up to the next label or a hard break."""
    starts = sorted({m.start for m in matches})
    out = []
    for m in matches:
        lead = _VALUE_LEAD.match(text, m.end)
        begin = lead.end() if lead else m.end
        stop = _VALUE_STOP.search(text, begin)
        end = stop.start() if stop else len(text)
        later = next((s for s in starts if s >= begin and s < end), None)
        if later is not None:
            end = later
        value = text[begin:end].rstrip(" :.-")
        if value:
            out.append(replace(m, value_text=value, value_start=begin, value_end=begin + len(value)))
        else:
            out.append(m)
    return out
