"""Words and lines with boxes: the common currency between OCR engines and extractors.

Every engine (RapidOCR, PaddleOCR, a PDF text layer, a dataset's own OCR boxes) produces
:class:`PageText`; every extractor consumes :class:`DocumentText`. Boxes are axis-aligned
``(x1, y1, x2, y2)`` in the page's own unit (pixels of the rendered/decoded page image), with
``width``/``height`` of the page in that same unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

BBox = tuple[float, float, float, float]
TextSource = Literal["ocr", "text_layer", "dataset"]


@dataclass
class Word:
    text: str
    bbox: BBox
    confidence: float = 1.0


@dataclass
class Line:
    """A visual line of text; ``words`` are in left-to-right order."""

    text: str
    bbox: BBox
    confidence: float
    words: list[Word]

    @classmethod
    def from_words(cls, words: Sequence[Word]) -> "Line":
        words = sorted(words, key=lambda w: w.bbox[0])
        return cls(
            text=" ".join(w.text for w in words),
            bbox=union_bbox([w.bbox for w in words]),
            confidence=min((w.confidence for w in words), default=1.0),
            words=list(words),
        )

    @classmethod
    def from_text(cls, text: str, bbox: BBox, confidence: float = 1.0) -> "Line":
        """Build a line from engines that only give line boxes: words get proportional boxes."""
        return cls(text=text, bbox=bbox, confidence=confidence, words=split_line_into_words(text, bbox, confidence))


@dataclass
class PageText:
    """The text of one page in reading order (top-to-bottom lines)."""

    number: int  # 1-based page number in the source document
    width: float
    height: float
    lines: list[Line]
    source: TextSource = "ocr"
    image: "Image.Image | None" = field(default=None, repr=False)

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class DocumentText:
    pages: list[PageText]

    @property
    def lines(self) -> list[tuple[int, Line]]:
        """All lines as ``(page_number, line)`` in reading order."""
        return [(p.number, line) for p in self.pages for line in p.lines]

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    @property
    def word_count(self) -> int:
        return sum(len(p.words) for p in self.pages)


def union_bbox(boxes: Sequence[BBox]) -> BBox:
    if not boxes:
        return (0.0, 0.0, 0.0, 0.0)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def round_box(box: Sequence[float], places: int = 1) -> list[float]:
    """A box as it goes into the JSON output: plain floats, rounded (digits below a tenth of a
    pixel are noise from scaling and averaging, and only lengthen the output)."""
    return [round(float(v), places) for v in box]


def polygon_to_bbox(points: Sequence[Sequence[float]]) -> BBox:
    """Axis-aligned box around a quadrilateral (or any polygon) given as [[x, y], ...]."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def split_line_into_words(text: str, bbox: BBox, confidence: float = 1.0) -> list[Word]:
    """Split a line on whitespace and give each word a box proportional to its characters.

    Used for engines that only return line boxes; a monospace approximation that is good
    enough to locate a value on the page and to feed word-level models.
    """
    tokens = text.split()
    if not tokens:
        return []
    x1, y1, x2, y2 = bbox
    total_chars = len(text)
    width = max(x2 - x1, 0.0)
    words: list[Word] = []
    cursor = 0
    for token in tokens:
        start = text.index(token, cursor)
        end = start + len(token)
        cursor = end
        wx1 = x1 + width * start / total_chars
        wx2 = x1 + width * end / total_chars
        words.append(Word(text=token, bbox=(wx1, y1, wx2, y2), confidence=confidence))
    return words


def group_words_into_lines(words: Sequence[Word], split_gap: float = 2.5) -> list[Line]:
    """Group loose words into visual lines (by vertical overlap), in reading order.

    Why: PDF text layers and some engines give words without line structure; extractors
    reason over lines ("TOTAL ... 12.50" on one row). A row is cut where the horizontal gap
    between two words exceeds ``split_gap`` times the row height, so that columns come out as
    separate lines, as an OCR engine's detector would give them.
    """
    ordered = sorted(words, key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0]))
    rows: list[list[Word]] = []
    extents: list[list[float]] = []  # [top, bottom] of each row, kept as words join it
    for word in ordered:
        wy1, wy2 = word.bbox[1], word.bbox[3]
        w_h = max(wy2 - wy1, 1e-6)
        placed = False
        for back in range(1, min(3, len(rows)) + 1):
            row, extent = rows[-back], extents[-back]
            ry1, ry2 = extent
            overlap = min(wy2, ry2) - max(wy1, ry1)
            if overlap > 0.5 * min(w_h, max(ry2 - ry1, 1e-6)) and not _collides(word, row):
                row.append(word)
                extent[0], extent[1] = min(ry1, wy1), max(ry2, wy2)
                placed = True
                break
        if not placed:
            rows.append([word])
            extents.append([wy1, wy2])
    lines = [Line.from_words(segment) for row in rows for segment in _split_row(row, split_gap)]
    return sort_reading_order(lines)


def _collides(word: Word, row: Sequence[Word]) -> bool:
    """True when ``word`` sits over or under a word already in ``row``.

    Why: words of one printed line never overlap horizontally. A tall word (a large title)
    spans two lines of small type beside it; without this check both small lines would be
    merged into one row and interleaved ("Coolblue Weena 664 B.V.").
    """
    x1, x2 = word.bbox[0], word.bbox[2]
    width = x2 - x1
    for other in row:
        ox1, ox2 = other.bbox[0], other.bbox[2]
        if ox2 <= x1 or ox1 >= x2:
            continue  # side by side: no overlap at all (most pairs)
        overlap = (x2 if x2 < ox2 else ox2) - (x1 if x1 > ox1 else ox1)
        narrower = max(min(width, ox2 - ox1), 1e-6)
        if overlap > 0.3 * narrower:
            return True
    return False


def _split_row(row: Sequence[Word], split_gap: float) -> list[list[Word]]:
    ordered = sorted(row, key=lambda w: w.bbox[0])
    height = max(max(w.bbox[3] - w.bbox[1] for w in ordered), 1e-6)
    segments: list[list[Word]] = [[ordered[0]]]
    for word in ordered[1:]:
        if word.bbox[0] - segments[-1][-1].bbox[2] > split_gap * height:
            segments.append([word])
        else:
            segments[-1].append(word)
    return segments


def sort_reading_order(lines: Sequence[Line]) -> list[Line]:
    """Top-to-bottom, then left-to-right for lines whose vertical centres nearly coincide."""
    if not lines:
        return []
    heights = sorted(max(l.bbox[3] - l.bbox[1], 1.0) for l in lines)
    tolerance = 0.5 * heights[len(heights) // 2]
    ordered = sorted(lines, key=lambda l: (l.bbox[1] + l.bbox[3]) / 2)
    result: list[Line] = []
    band: list[Line] = []
    band_y = None
    for line in ordered:
        cy = (line.bbox[1] + line.bbox[3]) / 2
        if band_y is not None and abs(cy - band_y) > tolerance:
            result.extend(sorted(band, key=lambda l: l.bbox[0]))
            band = []
        if not band:
            band_y = cy
        band.append(line)
    result.extend(sorted(band, key=lambda l: l.bbox[0]))
    return result
