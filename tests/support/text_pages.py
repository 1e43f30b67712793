"""Text-layer pages built from (x, y, text) rows, for the layout extractor's tests."""

from __future__ import annotations

from extraction.layout import DocumentText, Line, PageText, sort_reading_order


def rows_page(rows: list[tuple[float, float, str]], width: float = 1600, height: float = 2000) -> DocumentText:
    """One text-layer page from (x, y, text): 10 px per character, 20 px high, in reading order."""
    lines = [Line.from_text(text, (x, y, x + 10 * len(text), y + 20)) for x, y, text in rows]
    return DocumentText([PageText(1, width, height, sort_reading_order(lines), "text_layer")])
