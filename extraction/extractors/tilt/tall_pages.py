"""Cut a page taller than TILT's image crop into bands that each keep their image.

Why: the fork's ``TiltImageProcessor`` resizes every page image to 768 px wide and then keeps
only the top 2048 rows, so on a page taller than about 2.67 times its width (a long receipt)
the words below the crop get no visual features. The preprocessor lays pages out one under
the other (each page's boxes are shifted down by the heights of the pages before it), so a
page sent as consecutive bands keeps every word's position in the document; each band gets
its own full-resolution image. Cuts go through the blank space between lines where there is
one, so no word is split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from extraction.layout import PageText, Word


@dataclass(frozen=True)
class Band:
    """A horizontal strip ``[top, bottom)`` of a page, in the page's unit."""

    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _free_cut(words: Sequence[Word], low: float, high: float) -> Optional[float]:
    """A y in ``(low, high]`` that crosses no word box, as far down as possible (``None``: none).

    Inside the lowest gap between lines the cut goes through its middle; a gap that reaches
    ``high`` is cut at ``high``.
    """
    spans = sorted((w.bbox[1], w.bbox[3]) for w in words if w.bbox[3] > low and w.bbox[1] < high)
    gaps: list[tuple[float, float]] = []
    cursor = low
    for y1, y2 in spans:
        if y1 > cursor:
            gaps.append((cursor, min(y1, high)))
        cursor = max(cursor, y2)
        if cursor >= high:
            break
    if cursor < high:
        gaps.append((cursor, high))
    gaps = [(a, b) for a, b in gaps if b > a and b > low]
    if not gaps:
        return None
    a, b = max(gaps, key=lambda g: g[1])  # the lowest gap: fewest bands
    return b if b >= high else (a + b) / 2


def bands(page: PageText, max_ratio: Optional[float], max_bands: int) -> tuple[list[Band], bool]:
    """The bands to send for ``page`` and whether a part below the last one is still cropped.

    ``max_ratio`` is height/width past which the fork crops (``None``: never split). At most
    ``max_bands`` bands: the fork sizes its image memory for ``max_images_in_chunk`` images per
    encoder chunk, so one page never brings more than that.
    """
    width, height = page.width, page.height
    if max_ratio is None or height <= width * max_ratio * 1.001 or max_bands <= 1:
        return [Band(0.0, height)], max_ratio is not None and height > width * max_ratio * 1.001
    limit = width * max_ratio
    words = page.words
    result: list[Band] = []
    top = 0.0
    while height - top > limit and len(result) < max_bands - 1:
        cut = _free_cut(words, top + limit / 2, top + limit) or top + limit
        result.append(Band(top, cut))
        top = cut
    result.append(Band(top, height))
    return result, result[-1].height > limit * 1.001


def words_in(band: Band, words: Sequence[Word], last: bool) -> list[Word]:
    """Words whose vertical centre falls in the band (the last band also takes what lies below)."""
    chosen = []
    for word in words:
        centre = (word.bbox[1] + word.bbox[3]) / 2
        if band.top <= centre < band.bottom or (last and centre >= band.bottom):
            chosen.append(word)
    return chosen


def needed_bands(page: PageText, max_ratio: float) -> int:
    """How many bands a page needs so that none is cropped."""
    return max(1, math.ceil(page.height / (page.width * max_ratio) - 1e-9))
