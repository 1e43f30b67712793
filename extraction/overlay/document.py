"""A picture of what was read: each page with the extracted fields boxed and labelled.

People check an extraction by looking at it. Every found field gets its box outlined and a
label ``name value · confidence`` in the confidence colour, line-item rows are outlined, and a
panel in the emptiest corner shows the arithmetic checks and what the colours mean. Pixels
away from these marks are the page's own, unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from PIL import Image, ImageDraw

from extraction.overlay.draw import (
    FAIL_COLOUR,
    InkMap,
    LINE_ITEM_COLOUR,
    PANEL_TEXT,
    PASS_COLOUR,
    Rect,
    Row,
    confidence_colour,
    legend,
    load_font,
    outline,
    overlap,
    panel,
    panel_size,
    place_label,
    scale_for,
    shorten,
    tag,
    text_size,
)
from extraction.overlay.pages import DocumentSource, page_images
from extraction.schema import DocumentResult, ExtractedField, Options

#: Characters of a value shown in its label (the full value is in the JSON).
LABEL_VALUE_CHARS = 40
CHECK_TEXT_CHARS = 70


def _boxed_fields(result: DocumentResult, page: int) -> list[tuple[str, ExtractedField]]:
    found = [(name, f) for name, f in result.fields.items() if f is not None]
    found += [(f"query {name}", f) for name, f in result.custom.items() if f is not None]
    return [(name, f) for name, f in found if f.bbox and len(f.bbox) >= 4 and (f.page or 1) == page]


def validation_rows(result: DocumentResult) -> list[Row]:
    """The panel's lines: how many checks passed, each failed check in full, the colour legend."""
    checks = result.validation
    if checks:
        passed = sum(c.passed for c in checks)
        rows: list[Row] = [[(f"checks: {passed} of {len(checks)} passed", PASS_COLOUR if passed == len(checks) else FAIL_COLOUR)]]
        for check in checks:
            if not check.passed:
                text = f"FAIL {check.name} (expected {check.expected}, got {check.actual})"
                rows.append([(shorten(text, CHECK_TEXT_CHARS), FAIL_COLOUR)])
    else:
        rows = [[("checks: none could be run", PANEL_TEXT)]]
    rows.append(legend())
    return rows


def _corner(size: tuple[int, int], panel_wh: tuple[int, int], marks: Sequence[Rect], ink: InkMap, margin: int) -> tuple[int, int]:
    """The corner where the panel hides the least: of the marks, then of the page's print."""
    width, height = size
    w, h = panel_wh
    corners = [
        (width - w - margin, margin),
        (width - w - margin, height - h - margin),
        (margin, height - h - margin),
        (margin, margin),
    ]

    def cost(xy: tuple[int, int]) -> float:
        rect = (xy[0], xy[1], xy[0] + w, xy[1] + h)
        return 2 * sum(overlap(rect, m) for m in marks) + ink.count(rect)

    best = min(corners, key=cost)
    return max(0, best[0]), max(0, best[1])


def _grown_if_taken(bbox: Sequence[float], taken: list[tuple[float, ...]], width: int) -> list[float]:
    """Two fields read from the same words (total and currency from ``$15.90``) get nested outlines."""
    key = tuple(round(float(v)) for v in bbox[:4])
    grow = width * taken.count(key)
    taken.append(key)
    return [float(bbox[0]) - grow, float(bbox[1]) - grow, float(bbox[2]) + grow, float(bbox[3]) + grow]


@dataclass
class PageOverlay:
    """A drawn page and where on it something was drawn (outlines, labels, the panel)."""

    image: Image.Image
    marks: list[Rect]
    panel: Rect


def draw_page(image: Image.Image, result: DocumentResult, page: int) -> Image.Image:
    """A copy of ``image`` (page ``page`` of ``result``'s document) with the result drawn on it."""
    return render_page(image, result, page).image


def render_page(image: Image.Image, result: DocumentResult, page: int) -> PageOverlay:
    """:func:`draw_page`, also telling where the marks went."""
    canvas = image.convert("RGB").copy()
    ink = InkMap(canvas)
    draw = ImageDraw.Draw(canvas)
    font_size, width = scale_for(canvas.size)
    font = load_font(font_size)
    small = load_font(max(10, font_size - 2))
    pad = max(2, font_size // 5)

    items = [item for item in result.line_items if item.bbox and len(item.bbox) >= 4 and (item.page or 1) == page]
    fields = _boxed_fields(result, page)
    item_boxes = [outline(draw, item.bbox, LINE_ITEM_COLOUR, max(1, width - 1)) for item in items]  # type: ignore[arg-type]
    taken: list[tuple[float, ...]] = []
    field_boxes = [outline(draw, _grown_if_taken(f.bbox, taken, width), confidence_colour(f.confidence), width) for _, f in fields]  # type: ignore[arg-type]

    labels: list[Rect] = []
    for (name, found), box in zip(fields, field_boxes):
        text = f"{name} {shorten(str(found.value), LABEL_VALUE_CHARS)} · {found.confidence:.2f}"
        w, h = text_size(font, text)
        rect = place_label(canvas.size, box, (w + 2 * pad, h + 2 * pad), [*field_boxes, *labels], 1, ink)
        tag(draw, rect, text, confidence_colour(found.confidence), font, pad)
        labels.append(rect)
    for number, box in enumerate(item_boxes, start=1):
        text = f"item {number}"
        w, h = text_size(small, text)
        rect = place_label(canvas.size, box, (w + 2 * pad, h + 2 * pad), [*field_boxes, *labels], 0, ink)
        tag(draw, rect, text, LINE_ITEM_COLOUR, small, pad)
        labels.append(rect)

    rows = validation_rows(result)
    size = panel_size(rows, small, pad)
    marks = [*item_boxes, *field_boxes, *labels]
    drawn_panel = panel(canvas, _corner(canvas.size, size, marks, ink, pad), rows, small, pad)
    return PageOverlay(image=canvas, marks=marks, panel=drawn_panel)


def overlay_images(
    result: DocumentResult,
    document: DocumentSource,
    *,
    options: Optional[Options] = None,
    password: Optional[str] = None,
) -> dict[int, Image.Image]:
    """Page number -> the page with ``result`` drawn on it. ``options``/``password``: as for the extraction."""
    return {number: draw_page(image, result, number) for number, image in page_images(document, options=options, password=password).items()}


def overlay_stem(doc_id: str) -> str:
    """A file-name-safe form of a document id: ``invoices/a.pdf`` -> ``invoices_a.pdf``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id.strip().lstrip("./\\")).strip("._")
    return stem[:150] or "document"


def save_overlay(
    result: DocumentResult,
    document: DocumentSource,
    out_dir: str | Path,
    *,
    options: Optional[Options] = None,
    password: Optional[str] = None,
) -> list[Path]:
    """Write ``<id>-page<N>.png`` per page into ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number, image in overlay_images(result, document, options=options, password=password).items():
        path = out / f"{overlay_stem(result.id)}-page{number}.png"
        image.save(path, optimize=True)
        written.append(path)
    return written
