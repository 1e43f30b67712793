"""A synthetic receipt's drawn text runs as OCR lines: one line per run, boxed in pixels.

Why runs: an OCR engine reads a label and an amount printed far apart on a till roll as two
lines, just as the layout drew them as two runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from builder.synth.content import draw_content
from builder.synth.fonts import FontSet, font_set
from builder.synth.locales import get_locale, locale_names
from builder.synth.page import Page, Text
from builder.synth.receipt_layout import layout_receipt
from extraction.layout import DocumentText, Line, PageText, sort_reading_order

#: pixels per point: receipts are scanned at about 200 dpi
SCALE = 200 / 72
#: a run's box around its baseline, as fractions of the type size (ascenders, descenders)
_ASCENT, _DESCENT = 0.8, 0.22


@dataclass
class SyntheticReceipt:
    id: str
    lines: list[tuple[tuple[float, float, float, float], str]]  # (x1, y1, x2, y2) in pixels, text
    width: float
    height: float
    fields: dict[str, Any]
    language: str
    layout: str

    def document(self) -> DocumentText:
        """The receipt as the OCR step hands it to the extractor."""
        lines = [Line.from_text(text, box, 1.0) for box, text in self.lines]
        return DocumentText([PageText(1, self.width, self.height, sort_reading_order(lines), "ocr")])


def run_box(mark: Text, fonts: FontSet, top: float) -> tuple[float, float, float, float]:
    """A text run's box in pixels; ``top``: where its page starts on the roll (points)."""
    width = fonts.width(mark.text, mark.family, mark.size, mark.bold)
    left = {"left": mark.x, "right": mark.x - width, "center": mark.x - width / 2}[mark.align]
    y1 = top + mark.y - _ASCENT * mark.size
    y2 = top + mark.y + _DESCENT * mark.size
    return (round(left * SCALE, 1), round(y1 * SCALE, 1), round((left + width) * SCALE, 1), round(y2 * SCALE, 1))


def receipt_lines(pages: Sequence[Page], fonts: FontSet) -> tuple[list[tuple[tuple[float, float, float, float], str]], float, float]:
    """Every text run of a receipt's pages, the pages stacked as one roll; with the roll's size."""
    lines = []
    top = 0.0
    for page in pages:
        for mark in page.marks:
            if isinstance(mark, Text) and mark.text.strip():
                lines.append((run_box(mark, fonts, top), mark.text.strip()))
        top += page.height
    return lines, round(pages[0].width * SCALE, 1), round(top * SCALE, 1)


def make_receipt(seed: int, index: int, locales: Optional[Sequence[str]] = None, fonts: Optional[FontSet] = None) -> SyntheticReceipt:
    """Receipt ``index`` of a seed: drawn, laid out and read off as lines (deterministic)."""
    fonts = fonts or font_set()
    rng = random.Random(f"{seed}/receipt-lines/{index}")
    locale = get_locale(rng.choice(list(locales or locale_names())))
    content = draw_content("receipt", locale, rng)
    if not fonts.unicode:  # what prints is what the truth says
        content.vendor.name = fonts.printable(content.vendor.name)
        content.vendor.address = [fonts.printable(line) for line in content.vendor.address]
    pages, layout = layout_receipt(content, fonts, rng)
    lines, width, height = receipt_lines(pages, fonts)
    fields = {k: v for k, v in content.truth().items() if k != "line_items"}
    return SyntheticReceipt(f"receipt-{index:04d}", lines, width, height, fields, locale.language, layout)


def boxes_text(receipt: SyntheticReceipt) -> str:
    """The SROIE box format the evaluation reads (``--ocr-source dataset``)."""
    rows = []
    for (x1, y1, x2, y2), text in receipt.lines:
        rows.append(",".join(f"{v:g}" for v in (x1, y1, x2, y1, x2, y2, x1, y2)) + "," + text)
    return "\n".join(rows) + "\n"
