"""Folding and tokenising printed text so that labels match however they were printed.

Labels come in every case, with or without accents (``Fälligkeit``, ``FALLIGKEIT``), with
punctuation or none (``Re.-Nr.``, ``Re Nr``), split or glued (``SUB TOTAL``, ``GRANDTOTAL``)
and glued to their value (``n°562044387``, ``TOTAL9.00``). Text is folded (lower case, accents
and ligatures removed, ``º`` read as ``°``) with every folded character mapped back to its
offset in the original, and cut into tokens: runs of letters, runs of digits, and the symbols
that carry meaning in labels (``#``, ``°``, ``%``). Other punctuation only separates. A label's
*skeleton* is its tokens joined without separators (``Re.-Nr.`` -> ``renr``), so comparing
skeletons of token windows ignores spacing and punctuation.

OCR reads letters as look-alike digits (``T0TAL``, ``5UBTOTAL``): a run mixing letters with
the digits 0, 1, 5 and 8 that becomes a word when they are read as letters is one word token
marked ``ocr``; any other mix (``INV2024``, ``A4``) is split into letters and digits, which is
what a label glued to its value looks like.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

#: Letters NFKD does not decompose, and marks read as another.
_SPECIAL = {
    "ß": "ss", "ẞ": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "ı": "i", "ĳ": "ij", "ŀ": "l", "º": "°", "№": "no", "’": "'", "‘": "'", "`": "'", "´": "'",
}
#: Digits OCR prints for letters, and the letter each stands for.
OCR_DIGITS = {"0": "o", "1": "l", "5": "s", "8": "b"}
SYMBOLS = "#°%"

#: One scan finds line breaks, hard breaks (a tab, a bar, a colon or semicolon, two or more
#: spaces: what ends a label's reach on a line), alphanumeric runs and meaningful symbols.
_SCAN = re.compile(r"(\n)|(\t|\||:|;| {2,})|([a-z0-9]+)|([#°%])")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    low = ch.lower()
    special = _SPECIAL.get(low)
    if special is not None:
        return special
    decomposed = unicodedata.normalize("NFKD", low)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the offset of the original character."""
    out: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        folded = _fold_char(ch)
        out.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(out), offsets


def fold(text: str) -> str:
    """Lower case, accents and ligatures removed: ``"Fälligkeits-Datum"`` -> ``"falligkeits-datum"``."""
    return "".join(_fold_char(ch) for ch in text)


class Token(NamedTuple):
    text: str  # folded; an OCR word token holds its letters
    start: int  # offsets in the original text
    end: int
    kind: str  # word | number | symbol
    line: int  # line number in the original text
    segment: int  # increases at every line break and hard break (tab, bar, colon, wide gap)
    ocr: bool = False  # a word read through OCR_DIGITS


def _split_mixed(run: str) -> list[tuple[int, int, str, str, bool]]:
    """(start, end, text, kind, ocr) pieces of one alphanumeric run, relative to the run."""
    if run.isalpha():
        return [(0, len(run), run, "word", False)]
    if run.isdigit():
        return [(0, len(run), run, "number", False)]
    letters = sum(c.isalpha() for c in run)
    mapped = "".join(OCR_DIGITS.get(c, c) for c in run)
    if mapped.isalpha() and letters >= 2 and letters >= 2 * (len(run) - letters):
        return [(0, len(run), mapped, "word", True)]
    return [(m.start(), m.end(), m.group(0), "word" if m.group(0)[0].isalpha() else "number", False) for m in re.finditer(r"[a-z]+|[0-9]+", run)]


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` (see the module docstring), with original offsets, lines and segments."""
    folded, offsets = fold_with_offsets(text)
    tokens: list[Token] = []
    line = segment = 0
    for match in _SCAN.finditer(folded):
        if match.group(1):
            line += 1
            segment += 1
        elif match.group(2):
            segment += 1
        elif match.group(3):
            base = match.start()
            for start, end, piece, kind, ocr in _split_mixed(match.group(3)):
                tokens.append(Token(piece, offsets[base + start], offsets[base + end - 1] + 1, kind, line, segment, ocr))
        else:
            tokens.append(Token(match.group(4), offsets[match.start()], offsets[match.start()] + 1, "symbol", line, segment))
    return tokens


@lru_cache(maxsize=16384)
def skeleton(phrase: str) -> str:
    """A phrase's tokens joined: ``"Rechnungs-Nr."`` -> ``"rechnungsnr"``, ``"Invoice #"`` -> ``"invoice#"``."""
    return "".join(t.text for t in tokenize(phrase))
