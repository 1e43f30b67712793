"""Repair OCR slips in printed names and addresses with a vocabulary of receipt words.

Why: the CPU OCR model reads most characters right but drops spaces in large type
("SANYUSTATIONERYSHOP"), glues a number to the next word ("47400Petaling"), swaps look-alike
characters ("Jaian", "J1n", "GARDENLA") and invents accents ("SETIA ÁLAM"). Each repair below
is taken only when it turns an unknown word into a word that many receipts print
(``data/vocabulary.json``, built by ``builder/build_vocabulary.py``), so a correctly read rare
name is left alone. Applied to the vendor name and address of OCR pages only: a PDF text layer
is exact.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Callable, Optional

VOCABULARY_PATH = Path(__file__).with_name("data") / "vocabulary.json"

#: look-alike characters the recognition model confuses, in upper case
CONFUSIONS: dict[str, str] = {
    "1": "IL", "I": "L1T", "L": "IT1", "!": "I", "|": "IL", "0": "OD", "O": "0DUQ", "D": "O0",
    "Q": "O", "5": "S", "S": "5", "8": "B", "B": "8", "6": "G", "G": "6C", "2": "Z", "Z": "2",
    "U": "ONV", "N": "UH", "H": "N", "V": "U", "T": "L", "C": "G", "E": "F", "F": "E",
    "K": "R", "R": "K", "M": "N", "Y": "V", "J": "I",
}
_RUN = re.compile(r"[^\W_]+(?:[!|][^\W_]*)*|[!|]+")
_GLUED_NUMBER = re.compile(r"^(\d{2,})([^\W\d_]{4,})$")


@dataclass(frozen=True)
class Vocabulary:
    """Upper-case word -> number of documents it was seen in."""

    counts: dict[str, int]

    def count(self, word: str) -> int:
        return self.counts.get(word.upper(), 0)

    def known(self, word: str, min_count: int = 2) -> bool:
        return self.count(word) >= min_count


@lru_cache(maxsize=1)
def load_vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    """The shipped vocabulary; empty (no repairs) when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Vocabulary({str(k): int(v) for k, v in data["words"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Vocabulary({})


def correct_text(
    text: str, vocabulary: Optional[Vocabulary] = None, as_printed: frozenset[str] = frozenset(), fold_accents: bool = False
) -> str:
    """``text`` with each unknown word replaced by its repair, when one is proven.

    ``as_printed``: upper-case words the page itself confirms (read the same way on several
    lines, "PANDAH INDAH" in the name and the address); they are left alone.
    ``fold_accents``: the page's language prints no accents (:func:`prints_accents` is false), so
    an accent in the text is the OCR's invention ("Restäurants") and is dropped.
    """
    if fold_accents:
        text = strip_accents(text)
    vocab = vocabulary if vocabulary is not None else load_vocabulary()
    if not vocab.counts:
        return text
    text = _INITIALS.sub(_fix_initials, text)
    text = _fix_lowercase_initial(text, vocab)
    text = _join_splits(text, vocab)
    return _RUN.sub(lambda m: m.group(0) if m.group(0).upper() in as_printed else correct_word(m.group(0), vocab), text)


_LOWER_WORD = re.compile(r"(?<![^\W_])[a-z][a-z]{3,}(?![^\W_])")


def _fix_lowercase_initial(text: str, vocab: Vocabulary) -> str:
    """"buardian Health And Beauty": in a line of capitalised words, an unknown word starting in
    lower case had its capital misread; the one known word that any capital makes of it is taken."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    if sum(w[0].isupper() for w in words) < max(2, len(words) - 1):
        return text

    def repair(match: re.Match[str]) -> str:
        word = match.group(0)
        if vocab.known(word):
            return word
        found = [c + word[1:] for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if vocab.known(c + word[1:], 5)]
        return found[0] if len(found) == 1 else word

    return _LOWER_WORD.sub(repair, text)


#: accented words a page may show and still be in a language written without accents (OCR noise)
MAX_STRAY_ACCENTS = 2


def prints_accents(lines: list[str]) -> bool:
    """Whether the page's language writes accents: more accented words than OCR would invent.

    Why page evidence, not a word list: a French or German page prints accents on many words
    ("Téléphone", "Straße", "Montant à payer"); an English or Malay page read by OCR shows one
    or two stray ones ("Restäurants"), which must go for the name to match as printed."""
    accented = 0
    total = 0
    for line in lines:
        for word in re.findall(r"[^\W\d_]{2,}", line):
            total += 1
            if strip_accents(word) != word:
                accented += 1
    return accented > max(MAX_STRAY_ACCENTS, 0.03 * total)


def words_on_several_lines(lines: list[str], min_lines: int = 2) -> frozenset[str]:
    """Upper-case words of three letters or more that appear on at least ``min_lines`` lines."""
    seen: dict[str, int] = {}
    for line in lines:
        for word in {m.group(0).upper() for m in _RUN.finditer(line) if len(m.group(0)) >= 3}:
            seen[word] = seen.get(word, 0) + 1
    return frozenset(word for word, count in seen.items() if count >= min_lines)


_SPLIT_PAIR = re.compile(r"(?<![^\W_])(?=([^\W\d_]{1,10}) ([^\W\d_]{1,10})(?![^\W_]))")


def _join_splits(text: str, vocab: Vocabulary) -> str:
    """"GA RDENIA" -> "GARDENIA": a space inside a known word, between pieces that are not words.

    Every pair of neighbouring words is tried, overlapping ones included: in "AMANO MAL AYSIA"
    the pair "AMANO MAL" is no word, "MAL AYSIA" is."""
    while True:
        for match in _SPLIT_PAIR.finditer(text):
            left, right = match.group(1), match.group(2)
            joined = left + right
            if len(joined) >= 5 and vocab.known(joined, 5) and not (vocab.known(left) and vocab.known(right)):
                text = text[: match.start(1)] + joined + text[match.end(2) :]
                break
        else:
            return text


_CAPITAL_I_INSIDE = re.compile(r"(?<=[^\W\d_])I(?=[a-z])")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th|er|e|ème|te|º|ª)", re.IGNORECASE)


#: a look-alike letter with a digit on each side is that digit ("1l8B", "2O3"): numbers do not
#: change script in mid-run, while codes that mix them ("U13", "SS15") put the letters first
_DIGIT_FOR_LETTER = {"l": "1", "I": "1", "O": "0", "o": "0"}
_LETTER_BETWEEN_DIGITS = re.compile(r"(?<=\d)[lIOo](?=\d)")


def correct_word(word: str, vocab: Vocabulary) -> str:
    if _CAPITAL_I_INSIDE.search(word):  # "JIn" -> "Jln": a capital I before lower case is an l
        swapped = _CAPITAL_I_INSIDE.sub("l", word)
        if vocab.count(swapped) > vocab.count(word):
            return swapped
    word = _LETTER_BETWEEN_DIGITS.sub(lambda m: _DIGIT_FOR_LETTER[m.group(0)], word)  # "7/1l8B" -> "7/118B"
    if word.isdigit() or vocab.known(word) or _ORDINAL.fullmatch(word):
        return word  # "1st Flr" is not a slip for "lst"
    plain = strip_accents(word)
    if plain != word and vocab.known(plain, 3):  # learned words only: lexicon words keep their accents
        return plain  # "ÁLAM" -> "ALAM": an accent the page never printed
    glued = _GLUED_NUMBER.match(plain)
    if glued and vocab.known(glued.group(2), 3):
        return f"{glued.group(1)} {word[len(glued.group(1)):]}"  # "47400Petaling" -> "47400 Petaling"
    if sum(ch.isdigit() for ch in word) >= max(len(word) - 1, 2) and word[-1] in "Oo" or (word[:1] in "Oo" and word[1:].isdigit() and len(word) >= 3):
        return word.replace("O", "0").replace("o", "0")  # "29O" -> "290"
    fixed = _look_alike(plain, vocab)
    if fixed is not None:
        return _like_case(fixed, word)
    split = segment(plain, vocab)
    if split is not None:
        return _like_case(" ".join(split), word)
    return word


def _fix_initials(match: re.Match[str]) -> str:
    """"D.1.Y." -> "D.I.Y.": a digit among dotted capital initials is a look-alike letter."""
    text = match.group(0)
    if not any(ch.isalpha() for ch in text):
        return text
    return text.translate(str.maketrans({"1": "I", "0": "O", "5": "S", "8": "B"}))


_INITIALS = re.compile(r"(?<![\w.])(?:[A-Z0-9]\.){2,}(?:[A-Z0-9](?![\w]))?")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _look_alike(word: str, vocab: Vocabulary) -> Optional[str]:
    """The known word one look-alike swap away (or one stray trailing stroke: "BHDI")."""
    if len(word) < 3 or (len(word) == 3 and word.isalpha()):
        return None  # "AIK", "HON", "WAH": three letters are as often a name as a slip ("AIR", "NON", "WAN")
    upper = word.upper()
    candidates: dict[str, int] = {}
    for index, ch in enumerate(upper):
        for alternative in CONFUSIONS.get(ch, ""):
            candidate = upper[:index] + alternative + upper[index + 1 :]
            if candidate.isalpha() and vocab.known(candidate, 3):
                candidates[candidate] = vocab.count(candidate)
    if len(upper) >= 5 and not candidates:  # two look-alikes in one word ("Olnar" -> "DINAR")
        for first in range(len(upper)):
            for a in CONFUSIONS.get(upper[first], ""):
                once = upper[:first] + a + upper[first + 1 :]
                for second in range(first + 1, len(upper)):
                    for b in CONFUSIONS.get(upper[second], ""):
                        candidate = once[:second] + b + once[second + 1 :]
                        if candidate.isalpha() and vocab.known(candidate, 5):
                            candidates[candidate] = vocab.count(candidate)
    if len(upper) >= 6:  # long words: any inner letter wrong ("HARDWAKE", "Setangor"), not "TERBANG" -> "GERBANG"
        for index in range(1, len(upper)):
            for alternative in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
                candidate = upper[:index] + alternative + upper[index + 1 :]
                if candidate != upper and candidate.isalpha() and vocab.known(candidate, 5):
                    candidates.setdefault(candidate, vocab.count(candidate))
    if len(upper) >= 4 and upper[-1] in "I1L|!" and vocab.known(upper[:-1], 5):
        candidates.setdefault(upper[:-1], vocab.count(upper[:-1]))
    if not candidates:
        return None
    ranked = sorted(candidates.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]:
        return None  # two plausible repairs: leave the word as read
    return ranked[0][0]


def segment(word: str, vocab: Vocabulary, max_parts: int = 4) -> Optional[list[str]]:
    """Split a run of letters with its spaces dropped into known words ("SANYUSTATIONERYSHOP").

    Every part must be a known word of at least three letters; among the splits, the one with
    the fewest parts wins, then the most frequent words. A split into two words needs a run of
    13 letters or more, since shorter ones are usually compounds printed that way.
    """
    if len(word) < 8 or not word.isalpha():
        return None
    upper = word.upper()
    n = len(upper)
    result = _fewest_known_parts(upper, vocab, max_parts, lambda piece: 3)
    if result is None or len(result) < 2:
        return _segment_with_name(upper, vocab, max_parts)
    if len(result) == 2 and n < 13:
        return None  # "BOOKCENTRE", "BOOKSTORES": short two-word runs are usually printed compounds
    return result if _plausible_split(upper, result, vocab) else None


def _fewest_known_parts(
    text: str, vocab: Vocabulary, max_parts: int, min_count: Callable[[str], int]
) -> Optional[list[str]]:
    """``text`` cut into known words of three letters or more: the fewest parts, then the most
    frequent words; a piece is known when seen at least ``min_count(piece)`` times."""
    n = len(text)
    # best[i]: (parts, -sum of square-rooted counts, split) for the prefix text[:i]
    best: list[Optional[tuple[int, float, list[str]]]] = [None] * (n + 1)
    best[0] = (0, 0.0, [])
    for end in range(3, n + 1):
        for start in range(0, end - 2):
            prev = best[start]
            piece = text[start:end]
            if prev is None or prev[0] >= max_parts or not vocab.known(piece, min_count(piece)):
                continue
            option = (prev[0] + 1, prev[1] - vocab.count(piece) ** 0.5, prev[2] + [piece])
            if best[end] is None or option[:2] < best[end][:2]:  # type: ignore[index]
                best[end] = option
    found = best[n]
    return found[2] if found else None


def _known_split(text: str, vocab: Vocabulary, max_parts: int) -> Optional[list[str]]:
    """The words around a shop's own name: a four-letter word seen twice ("SHOP") counts;
    three letters match too easily, so they need three sightings."""
    return _fewest_known_parts(text, vocab, max_parts, lambda piece: 3 if len(piece) == 3 else 2)


#: a name the vocabulary cannot know (the shop's own word) has at least this many letters
MIN_NAME_PIECE = 4


def _segment_with_name(upper: str, vocab: Vocabulary, max_parts: int) -> Optional[list[str]]:
    """"SANYUSTATIONERYSHOP" -> SANYU STATIONERY SHOP: known words plus one word no vocabulary
    holds (the shop's own name) at the start or the end.

    Why: a vocabulary only knows the names of shops it was built on; the common words around a
    new shop's name ("STATIONERY", "SHOP", "TRADING") still show where the spaces were. At least
    three parts and known words covering half the letters, so a single long word is never cut
    (measured on held-out shop names: no single word split)."""
    n = len(upper)
    best: Optional[tuple[tuple[int, float], list[str]]] = None
    for cut in range(MIN_NAME_PIECE, n - 2):
        for name, rest, leading in ((upper[:cut], upper[cut:], True), (upper[n - cut :], upper[: n - cut], False)):
            parts = _known_split(rest, vocab, max_parts - 1)
            if not parts or len(parts) < 2 or 2 * sum(len(p) for p in parts) < n:
                continue
            split = [name, *parts] if leading else [*parts, name]
            if not _plausible_split(upper, split, vocab):
                continue
            key = (len(split), -sum(vocab.count(p) ** 0.5 for p in parts))
            if best is None or key < best[0]:
                best = (key, split)
    return best[1] if best else None


#: a known word this long, read across a cut, says the cut is in the wrong place
MIN_CROSSING_WORD = 4


def _plausible_split(upper: str, parts: list[str], vocab: Vocabulary) -> bool:
    """Whether a split of ``upper`` into ``parts`` is evidence of dropped spaces, not chance.

    Why: three-letter words match almost anywhere ("CARREFOUR" -> CAR REF OUR), so a split
    made of nothing longer proves nothing; and a known word that runs across a cut
    ("POPULA|RON LINE" holds POPULAR, "BOOKS|TORES" holds STORES, "INV|OICE" is INVOICE) means
    the letters group another way, so the split is ambiguous and the word is left as read."""
    if all(len(part) <= 3 for part in parts):
        return False
    cuts = list(accumulate(len(part) for part in parts[:-1]))
    n = len(upper)
    for start in range(n):
        for end in range(start + MIN_CROSSING_WORD, n + 1):
            crosses = any(start < cut < end for cut in cuts)
            if crosses and (end - start) < n and vocab.known(upper[start:end], 3):
                return False
    return True


def _like_case(fixed: str, original: str) -> str:
    """Give the repair the original's letter case (upper, Title or lower)."""
    letters = [ch for ch in original if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        return fixed.upper()
    if letters and letters[0].isupper():
        return " ".join(part.capitalize() for part in fixed.split(" "))
    return fixed.lower()
