"""Printed labels of invoices and receipts in many languages, kept as data, and a tolerant matcher.

The words that announce a field (``Gesamtbetrag``, ``Net à payer``, ``Kd.-Nr.``, ``Forfaldsdato``)
live in ``labels/<field>.json``, one file per field, built from the EN 16931 business terms and
the UBL / CII element names as they are printed on invoices and receipts in EN, DE, FR, ES, IT,
NL, PT, PL, SV, DA and MS (see :mod:`extraction.vocabulary.store` for the format). Extractors ask
this package where labels are instead of carrying their own word lists::

    from extraction.vocabulary import match_labels
    for m in match_labels("Rechnungs-Nr.: 2024-117   Fälligkeit 12.03.2024"):
        m.field, m.lang, m.start, m.end, m.score, m.value_text
    # ('invoice_number', 'de', 0, 12, 1.0, '2024-117'), ('due_date', 'de', 25, 35, 1.0, '12.03.2024')

``python -m extraction.vocabulary`` prints the vocabulary's size per field and language;
``python -m extraction.vocabulary match "TEXT"`` shows what a text matches.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Optional

from extraction.vocabulary.matcher import LabelMatch, Matcher
from extraction.vocabulary.store import LABELS_DIR, FieldInfo, LabelEntry, VocabularyError, read_directory
from extraction.vocabulary.text import fold, skeleton

#: The languages every field's file covers (a test holds the data to this).
CORE_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "ms")


class Vocabulary:
    """All label entries of a directory, with per-field information and a compiled matcher."""

    def __init__(self, fields: dict[str, FieldInfo], entries: list[LabelEntry]) -> None:
        self.fields = fields
        self.entries = entries

    @classmethod
    def from_directory(cls, directory: Path = LABELS_DIR) -> "Vocabulary":
        fields, entries = read_directory(directory)
        return cls(fields, entries)

    @property
    def languages(self) -> list[str]:
        """Languages in first-seen order (the data's order: en, de, fr, ...)."""
        return list(dict.fromkeys(e.lang for e in self.entries))

    @cached_property
    def matcher(self) -> Matcher:
        return Matcher(self.entries, self.languages)

    def phrases(self, field: str, lang: Optional[str] = None, *, strength: Optional[str] = None) -> list[str]:
        """The printed labels of one field (optionally one language, one strength), in data order."""
        if field not in self.fields:
            raise KeyError(f"no vocabulary field {field!r}; fields: {', '.join(self.fields)}")
        return [e.phrase for e in self.entries if e.field == field and (lang is None or e.lang == lang) and (strength is None or e.strength == strength)]

    def match(self, text: str, **options: object) -> list[LabelMatch]:
        """See :meth:`extraction.vocabulary.matcher.Matcher.match`."""
        return self.matcher.match(text, **options)  # type: ignore[arg-type]

    def stats(self) -> dict[str, Counter[str]]:
        """Entries per field and language."""
        table: dict[str, Counter[str]] = {name: Counter() for name in self.fields}
        for entry in self.entries:
            table[entry.field][entry.lang] += 1
        return table


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The package's vocabulary (read once per process)."""
    return Vocabulary.from_directory(LABELS_DIR)


def match_labels(
    text: str,
    *,
    fields: Optional[Iterable[str]] = None,
    languages: Optional[Iterable[str]] = None,
    fuzzy: bool = True,
    min_score: float = 0.8,
    keep_overlaps: bool = False,
) -> list[LabelMatch]:
    """Every label of the package's vocabulary in ``text`` (see :class:`LabelMatch`)."""
    return load_vocabulary().match(text, fields=fields, languages=languages, fuzzy=fuzzy, min_score=min_score, keep_overlaps=keep_overlaps)


__all__ = [
    "CORE_LANGUAGES",
    "FieldInfo",
    "LabelEntry",
    "LabelMatch",
    "Vocabulary",
    "VocabularyError",
    "fold",
    "load_vocabulary",
    "match_labels",
    "skeleton",
]
