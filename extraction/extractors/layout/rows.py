"""Page lines grouped into visual rows, the unit the rule extractor reasons over.

OCR engines often cut one printed row ("TOTAL ......... 9.00") into separate boxes; a label's
value is then in another box of the same row, to its right, or on the row just below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from statistics import median
from typing import Iterator, Optional

from extraction.layout import BBox, DocumentText, Line, Word, union_bbox
from extraction.extractors.layout.lexicon import fold
from extraction.extractors.layout.table_header import table_header_rows


@dataclass
class Seg:
    """One OCR line with its page, row and position in reading order."""

    page: int
    line: Line
    index: int  # global reading-order index
    row: int = -1  # global row index
    folded: str = ""

    @property
    def text(self) -> str:
        return self.line.text

    @property
    def bbox(self) -> BBox:
        return self.line.bbox

    @property
    def height(self) -> float:
        return max(self.bbox[3] - self.bbox[1], 1.0)

    @property
    def cy(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2


@dataclass
class Row:
    page: int
    segs: list[Seg] = field(default_factory=list)
    index: int = 0

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segs)

    @property
    def folded(self) -> str:
        return fold(self.text)

    @property
    def bbox(self) -> BBox:
        return union_bbox([s.bbox for s in self.segs])

    @property
    def height(self) -> float:
        return max(s.height for s in self.segs)

    @property
    def top(self) -> float:
        return min(s.bbox[1] for s in self.segs)

    @property
    def bottom(self) -> float:
        return max(s.bbox[3] for s in self.segs)


@dataclass
class PageLayout:
    """All segments and rows of a document plus page sizes (for relative positions)."""

    segs: list[Seg]
    rows: list[Row]
    page_height: dict[int, float]
    page_width: dict[int, float]
    line_height: float
    #: Results computed once per document and shared by the field finders (the rules' amount
    #: labels are read by the amounts and by the ranker's receipt guard).
    memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def row_of(self, seg: Seg) -> Row:
        return self.rows[seg.row]

    @cached_property
    def table_header_rows(self) -> frozenset[int]:
        """Rows that name a table's columns: computed once per document, since the amount and
        identifier finders skip them ("Amount" as a column title labels a column, not a total)."""
        return table_header_rows(self)

    def right_of(self, seg: Seg) -> list[Seg]:
        """Segments of the same row to the right of ``seg``, nearest first."""
        row = self.rows[seg.row]
        return sorted((s for s in row.segs if s.bbox[0] >= seg.bbox[2] - 0.5 * seg.height and s is not seg), key=lambda s: s.bbox[0])

    def below(self, seg: Seg, max_rows: int = 1) -> Iterator[Seg]:
        """Segments on the next rows that overlap ``seg`` horizontally or start right of it."""
        for row in self.rows[seg.row + 1 : seg.row + 1 + max_rows]:
            if row.page != seg.page or row.top - self.rows[seg.row].bottom > 2.5 * self.line_height:
                return
            for s in sorted(row.segs, key=lambda s: s.bbox[0]):
                if s.bbox[2] > seg.bbox[0] - seg.height:
                    yield s


def build_layout(text: DocumentText) -> PageLayout:
    segs: list[Seg] = []
    rows: list[Row] = []
    heights: list[float] = []
    for page in text.pages:
        page_segs = [Seg(page.number, line, 0, folded=fold(line.text)) for line in page.lines if line.text.strip()]
        page_segs.sort(key=lambda s: (s.cy, s.bbox[0]))
        current: Optional[Row] = None
        for seg in page_segs:
            heights.append(seg.height)
            if current is not None and _same_row(current, seg):
                current.segs.append(seg)
            else:
                current = Row(page=page.number, segs=[seg], index=len(rows))
                rows.append(current)
        for row in rows:
            row.segs.sort(key=lambda s: s.bbox[0])
    for row in rows:
        for seg in row.segs:
            seg.row = row.index
            seg.index = len(segs)
            segs.append(seg)
    return PageLayout(
        segs=segs,
        rows=rows,
        page_height={p.number: float(p.height or max((l.bbox[3] for l in p.lines), default=1.0)) for p in text.pages},
        page_width={p.number: float(p.width or max((l.bbox[2] for l in p.lines), default=1.0)) for p in text.pages},
        line_height=median(heights) if heights else 10.0,
    )


def _same_row(row: Row, seg: Seg) -> bool:
    """Vertical overlap with the row's last segments of more than half the smaller height."""
    if any(_horizontal_overlap(other, seg) for other in row.segs):
        return False  # two boxes stacked in one column are two rows
    for other in row.segs[-3:]:
        overlap = min(other.bbox[3], seg.bbox[3]) - max(other.bbox[1], seg.bbox[1])
        small = min(other.height, seg.height)
        # centres must stay close too: tall or tilted boxes overlap several printed rows
        if overlap > 0.5 * small and abs(other.cy - seg.cy) < 0.6 * small:
            return True
    return False


def _horizontal_overlap(a: Seg, b: Seg) -> bool:
    return min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0]) > 0.3 * min(a.bbox[2] - a.bbox[0], b.bbox[2] - b.bbox[0])


def word_spans(seg: Seg) -> list[tuple[int, int, Word]]:
    """(start, end, word) character spans of a segment's words inside ``seg.text``."""
    spans = []
    cursor = 0
    text = seg.text
    for word in seg.line.words:
        start = text.find(word.text, cursor)
        if start < 0:
            return []
        spans.append((start, start + len(word.text), word))
        cursor = start + len(word.text)
    return spans


def span_bbox(seg: Seg, start: int, end: int) -> BBox:
    """Box of the characters ``text[start:end]`` of a segment (its words, or a proportional slice)."""
    hit = [w.bbox for s, e, w in word_spans(seg) if s < end and start < e]
    if hit:
        return union_bbox(hit)
    x1, y1, x2, y2 = seg.bbox
    n = max(len(seg.text), 1)
    return (x1 + (x2 - x1) * start / n, y1, x1 + (x2 - x1) * end / n, y2)


def labels_above(layout: PageLayout, seg: Seg, box: BBox, max_rows: int = 2) -> list[Seg]:
    """Segments on the rows just above ``box`` that overlap it horizontally, nearest first.

    Why: invoices print key/value blocks as columns ("Date | Due date | PO" over their values).
    """
    found: list[tuple[float, float, Seg]] = []
    row_index = seg.row
    for row in reversed(layout.rows[max(0, row_index - max_rows) : row_index]):
        if row.page != seg.page or box[1] - row.bottom > 3.0 * layout.line_height:
            break
        for other in row.segs:
            overlap = min(other.bbox[2], box[2]) - max(other.bbox[0], box[0])
            if overlap > -0.5 * seg.height:
                found.append((box[1] - other.bbox[3], -overlap, other))
    found.sort(key=lambda t: (round(t[0] / max(layout.line_height, 1.0)), t[1]))
    return [s for _, _, s in found]


def words_below(layout: PageLayout, seg: Seg, max_rows: int = 2) -> list[tuple[Seg, int, int]]:
    """(segment, start, end) of the words on the next rows under ``seg``'s horizontal extent."""
    result = []
    for row in layout.rows[seg.row + 1 : seg.row + 1 + max_rows]:
        if row.page != seg.page or row.top - layout.rows[seg.row].bottom > 3.0 * layout.line_height:
            break
        for other in row.segs:
            for start, end, word in word_spans(other) or [(0, len(other.text), None)]:
                box = word.bbox if word is not None else other.bbox
                cx = (box[0] + box[2]) / 2
                if seg.bbox[0] - seg.height <= cx <= seg.bbox[2] + seg.height or (box[0] <= seg.bbox[0] <= box[2]):
                    result.append((other, start, end))
        if result:
            break
    return result
