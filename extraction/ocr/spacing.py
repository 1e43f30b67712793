"""Re-decide the space after a comma or colon from the page's pixels.

The small CPU recogniser reads the glyphs of a line well but guesses the space that follows a
comma or a colon: "Bahru, Johor" where the print says "Bahru,Johor", "Cheras,Selangor" where
it says "Cheras, Selangor". Addresses are compared character for character, so that guess
decides whether the field is right. The ink settles it: a space leaves a blank band as wide as
the line's other word gaps, a glued mark one as narrow as the gaps between letters.

Each line is its own ruler, so that the rule holds for any font and size: the blank band after
the mark is placed on the scale from the line's typical letter gap (0) to its typical word gap
(1). Below ``GLUED_BELOW`` the space is removed, above ``SPACED_ABOVE`` one is added, and in
between, or on a line without both kinds of gap to compare with, the recogniser's choice stays.
Full stops are not re-decided: a monospace printer centres the dot in a whole cell, so "51.42"
looks spaced. ``python benchmarks/spacing_study.py`` measures the rule against the sroie-dev
transcripts and against synthetic lines in other fonts.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Sequence

import numpy as np
from PIL import Image

#: Punctuation whose following space is re-decided.
RESPACED_MARKS = ",:;"
#: On the line's scale (letter gap 0, word gap 1): under this the mark is glued to the next glyph...
GLUED_BELOW = 0.4
#: ...and over this a space follows it.
SPACED_ABOVE = 0.6
#: Word gaps must exceed letter gaps by this share of the line height for the line to be a ruler.
MIN_CONTRAST = 0.02
#: Rows of the line crop that are looked at: the middle band, so that the descenders and
#: ascenders of the lines above and below (tight receipt print) do not fill the gaps.
BAND = (0.25, 0.80)


@dataclass(frozen=True)
class Glyph:
    """One recognised character (never a space) and its box's centre on the page."""

    text: str
    center: tuple[float, float]


@dataclass(frozen=True)
class LineGaps:
    """Blank bands of one line, as shares of its height."""

    after_marks: dict[int, float]  # index (into the text without spaces) of the glyph after a mark -> band
    letter_gap: float | None  # median band between two letters the recogniser joined
    word_gap: float | None  # median band between two letters the recogniser spaced

    def scaled(self, index: int) -> float | None:
        """The band before ``letters[index]`` on the line's scale (letter gap 0, word gap 1)."""
        if self.letter_gap is None or self.word_gap is None or self.word_gap - self.letter_gap < MIN_CONTRAST:
            return None
        return (self.after_marks[index] - self.letter_gap) / (self.word_gap - self.letter_gap)


def respace_line(gray: Image.Image, quad: Sequence[Sequence[float]], text: str, glyphs: Sequence[Glyph]) -> str:
    """``text`` with the space after each comma, colon or semicolon set by the ink.

    ``quad`` is the detected line box (four corners, clockwise from top-left) on ``gray`` (the
    page in "L" mode); ``glyphs`` are the line's characters in order, one per non-space
    character of ``text``. Anything that does not line up is returned unchanged.
    """
    letters, spaced = split_spaces(text)
    gaps = measure_gaps(gray, quad, letters, spaced, glyphs)
    if gaps is None:
        return text
    for index in gaps.after_marks:
        position = gaps.scaled(index)
        if position is None:
            continue
        if position < GLUED_BELOW:
            spaced.discard(index)
        elif position > SPACED_ABOVE and letters[index].isalnum():  # not before a sign: ":-51.88" stays one token
            spaced.add(index)
    return join_spaces(letters, spaced)


def measure_gaps(
    gray: Image.Image, quad: Sequence[Sequence[float]], letters: str, spaced: set[int], glyphs: Sequence[Glyph]
) -> LineGaps | None:
    """The line's blank bands, or None when there is no mark to decide, the glyphs do not match
    the letters, or the box cannot be read."""
    if len(letters) != len(glyphs) or not any(char in RESPACED_MARKS for char in letters[:-1]):
        return None
    crop, origin, axis, scale = _line_crop(gray, quad)
    if crop is None:
        return None
    blank = _blank_columns(crop)
    centres = [float(np.dot(np.asarray(g.center, dtype=np.float64) - origin, axis)) * scale for g in glyphs]

    def band(index: int) -> float:
        return _widest_blank_run(blank, centres[index - 1], centres[index]) / crop.shape[0]

    between_letters = [i for i in range(1, len(letters)) if letters[i - 1].isalnum() and letters[i].isalnum()]
    joined = [band(i) for i in between_letters if i not in spaced]
    apart = [band(i) for i in between_letters if i in spaced]
    return LineGaps(
        after_marks={
            i: band(i)
            for i in range(1, len(letters))
            if letters[i - 1] in RESPACED_MARKS and not _is_number_separator(letters, i)
        },
        letter_gap=median(joined) if joined else None,
        word_gap=median(apart) if apart else None,
    )


def split_spaces(text: str) -> tuple[str, set[int]]:
    """The characters without spaces, and the indexes (into them) that a space precedes."""
    letters: list[str] = []
    spaced: set[int] = set()
    for char in text.strip():
        if char.isspace():
            if letters:
                spaced.add(len(letters))
        else:
            letters.append(char)
    return "".join(letters), spaced


def join_spaces(letters: str, spaced: set[int]) -> str:
    return "".join((" " if index in spaced else "") + char for index, char in enumerate(letters))


def _is_number_separator(letters: str, index: int) -> bool:
    """A mark between two digits (10:25, 2,305.80, 1,50) belongs to a number, not to prose."""
    return index >= 2 and letters[index - 2].isdigit() and letters[index].isdigit()


def _line_crop(gray: Image.Image, quad: Sequence[Sequence[float]]):
    """The line straightened to a rectangle, plus how page points map onto its x axis."""
    corners = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    top, left = corners[1] - corners[0], corners[3] - corners[0]
    width = max(np.linalg.norm(top), np.linalg.norm(corners[2] - corners[3]))
    height = max(np.linalg.norm(left), np.linalg.norm(corners[2] - corners[1]))
    if width < 2 or height < 4 or width > 20000:
        return None, None, None, None
    data = tuple(float(v) for v in (*corners[0], *corners[3], *corners[2], *corners[1]))
    crop = gray.transform((int(round(width)), int(round(height))), Image.Transform.QUAD, data=data, resample=Image.Resampling.BILINEAR)
    axis = top / max(np.linalg.norm(top), 1e-6)
    return np.asarray(crop), corners[0], axis, width / max(np.linalg.norm(top), 1e-6)


def _blank_columns(crop: np.ndarray) -> np.ndarray:
    """Columns of the crop's middle band with no ink (Otsu threshold; dark text assumed, light text inverted)."""
    threshold = _otsu(crop)
    ink = crop < threshold
    if ink.mean() > 0.5:  # light text on a dark background
        ink = ~ink
    top, bottom = int(BAND[0] * crop.shape[0]), int(BAND[1] * crop.shape[0]) + 1
    return ~ink[top:bottom].any(axis=0)


def _otsu(values: np.ndarray) -> int:
    histogram = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    share = histogram / max(histogram.sum(), 1.0)
    below = np.cumsum(share)
    mean_below = np.cumsum(share * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_below[-1] * below - mean_below) ** 2 / (below * (1.0 - below))
    between = np.nan_to_num(between, nan=0.0, posinf=0.0)
    return int(np.argmax(between)) if between.any() else 128


def _widest_blank_run(blank: np.ndarray, start: float, end: float) -> int:
    """Longest run of blank columns between two x positions of the crop."""
    lo, hi = max(int(start), 0), min(int(end) + 1, len(blank))
    best = run = 0
    for is_blank in blank[lo:hi]:
        run = run + 1 if is_blank else 0
        best = max(best, run)
    return best
