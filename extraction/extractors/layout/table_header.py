"""Table header rows: which rows name the columns of a line-item table, and where each column is.

Why a module of its own: the table reader (:mod:`.tables`) starts a table at such a row, and
the field finders skip them ("Sous total" or "Amount" as a column title labels a column, not
a total), so both read the rows the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from extraction.extractors.layout.lexicon import find_keyword, fold

if TYPE_CHECKING:  # pragma: no cover - annotations only: rows.py builds on this module
    from extraction.extractors.layout.rows import PageLayout, Row, Seg


def header_columns(row: Row) -> dict[str, tuple[float, float]]:
    """Column name -> x-range, when this row looks like a table header."""
    columns: dict[str, tuple[float, float]] = {}
    words = [w for seg in row.segs for w in seg.line.words]
    # match on whole segments first (multi-word headers like "Prix unitaire"), then on words
    units = [(seg.line.text, seg.bbox, seg) for seg in row.segs] + [(w.text, w.bbox, None) for w in words]
    for text, bbox, seg in units:
        for name, title_like in _column_names(text):
            if name in columns:
                continue
            if seg is not None:
                bbox = _title_box(seg, name, bbox)  # "Unit  Nama barang", "Aant.  BTW-tarief" in one segment: each title its own words
            if name == "amount" and "unit_price" in columns and columns["unit_price"][0] <= bbox[0] <= columns["unit_price"][1]:
                continue
            if not title_like:
                continue  # a sentence that merely contains the word
            columns[name] = (bbox[0], bbox[2])
    if "description" in columns and "quantity" in columns:
        (d1, d2), (q1, q2) = columns["description"], columns["quantity"]
        if d1 <= q1 < d2 and q2 < d2:  # one header segment held both ("Menge Beschreibung")
            columns["description"] = (q2, d2) if q1 - d1 < d2 - q2 else (d1, q1)
    main = [c for c in columns if c != "tax"]
    if len(main) >= 2 and ("amount" in columns or "unit_price" in columns):
        return columns
    return {}


def _title_box(seg: "Seg", name: str, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The box of the words of a segment that spell its column title, not the whole segment's
    (a unit or position title printed just before it would move the description's left edge)."""
    from extraction.extractors.layout.rows import span_bbox  # rows.py builds on this module

    match = find_keyword(seg.folded, f"line_header_{name}")
    if match is None or len(seg.folded) != len(seg.text):
        return bbox
    return span_bbox(seg, match.start(), match.end())


#: Column roles in the order a header's words are tried.
COLUMN_ROLES = ("quantity", "unit_price", "amount", "tax", "description")


@lru_cache(maxsize=65536)  # header rows are asked about by the table reader and every field finder
def _column_names(text: str) -> tuple[tuple[str, bool], ...]:
    """The column roles whose header words ``text`` holds, in :data:`COLUMN_ROLES` order, each
    with whether the words are most of the text (a title) rather than part of a sentence."""
    folded = fold(text)
    length = len(folded.strip())
    found = []
    for name in COLUMN_ROLES:
        m = find_keyword(folded, f"line_header_{name}")
        if m is not None:
            found.append((name, not (len(m.group(0)) < 0.5 * length and length > 14)))
    return tuple(found)


def is_table_header(row: Row) -> bool:
    return bool(header_columns(row))


def table_header_rows(layout: PageLayout) -> frozenset[int]:
    """Indexes of the rows that are table headers, with the title lines wrapped under them."""
    found: set[int] = set()
    for row in layout.rows:
        if is_table_header(row):
            found.add(row.index)
            # a title wrapped onto the next lines ("Price" / "excl. VAT") has no digits
            for nxt in layout.rows[row.index + 1 : row.index + 3]:
                if nxt.page != row.page or any(ch.isdigit() for ch in nxt.text) or nxt.top - row.bottom > 2.5 * layout.line_height:
                    break
                found.add(nxt.index)
    return frozenset(found)
