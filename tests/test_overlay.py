"""The overlay picture on hand-made results: colours, pages, the checks panel, file names."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from extraction.overlay import overlay_stem, render_page, save_overlay
from extraction.overlay.draw import DOUBTFUL_COLOUR, FAIL_COLOUR, SURE_COLOUR, UNSURE_COLOUR, confidence_colour, scale_for
from extraction.schema import DocumentResult, ExtractedField, ValidationCheck

PAGE = (600, 800)


def _field(value: str, confidence: float, bbox: list[float], page: int = 1) -> ExtractedField:
    return ExtractedField(value=value, text=value, confidence=confidence, page=page, bbox=bbox)


def _result(fields: dict, validation: list[ValidationCheck] | None = None) -> DocumentResult:
    return DocumentResult(id="doc", status="ok", pages=2, fields=fields, validation=validation or [])


def _near(image: Image.Image, rect, colour, tolerance: int = 40) -> int:
    """Pixels inside ``rect`` within ``tolerance`` of ``colour`` (text is anti-aliased)."""
    x1, y1, x2, y2 = (int(v) for v in rect)
    region = np.asarray(image.crop((x1, y1, x2, y2))).astype(int)
    return int((np.abs(region - np.array(colour)).max(axis=2) <= tolerance).sum())


def test_colour_follows_confidence():
    assert confidence_colour(0.95) == SURE_COLOUR
    assert confidence_colour(0.6) == UNSURE_COLOUR
    assert confidence_colour(0.2) == DOUBTFUL_COLOUR
    assert confidence_colour(None) == DOUBTFUL_COLOUR


def test_the_panel_shows_a_failed_check_in_red_and_passing_checks_without():
    page = Image.new("RGB", PAGE, "white")
    fields = {"total": _field("15.90", 0.95, [400, 600, 480, 630])}
    passed = ValidationCheck(name="subtotal + tax = total", passed=True, expected="15.90", actual="15.90")
    failed = ValidationCheck(name="subtotal + tax = total", passed=False, expected="15.90", actual="16.90")
    good = render_page(page, _result(fields, [passed]), 1)
    bad = render_page(page, _result(fields, [failed]), 1)
    assert _near(bad.image, bad.panel, FAIL_COLOUR) > 20
    assert _near(good.image, good.panel, SURE_COLOUR) > 20
    # the legend names the red too, so compare: a failure adds red text
    assert _near(bad.image, bad.panel, FAIL_COLOUR) > _near(good.image, good.panel, FAIL_COLOUR) + 20
    # the panel goes where it hides no field
    x1, y1, x2, y2 = bad.panel
    assert x2 <= 400 or x1 >= 480 or y2 <= 600 or y1 >= 630


def test_fields_read_from_the_same_words_get_nested_outlines():
    page = Image.new("RGB", PAGE, "white")
    box = [300.0, 400.0, 400.0, 430.0]
    result = _result({"total": _field("15.90", 0.95, box), "currency": _field("USD", 0.6, box)})
    image = render_page(page, result, 1).image
    width = scale_for(image.size)[1]
    middle = 350
    assert image.getpixel((middle, 400 - width)) == SURE_COLOUR  # first outline
    assert image.getpixel((middle, 430 + width + width - 1)) == UNSURE_COLOUR  # the second, one width further out


def test_only_the_pages_fields_are_drawn():
    page = Image.new("RGB", PAGE, "white")
    result = _result({"total": _field("15.90", 0.95, [300, 400, 400, 430], page=2)})
    first, second = render_page(page, result, 1), render_page(page, result, 2)
    assert first.marks == [] and len(second.marks) == 2  # outline and label


def test_save_overlay_writes_a_picture_per_page_at_page_size(tmp_path):
    frames = [Image.new("RGB", (320, 240), "white"), Image.new("RGB", (200, 300), "white")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    result = _result({"total": _field("9.00", 0.9, [20, 100, 120, 130], page=2)})
    paths = save_overlay(result, buffer.getvalue(), tmp_path)
    assert [p.name for p in paths] == ["doc-page1.png", "doc-page2.png"]
    assert [Image.open(p).size for p in paths] == [(320, 240), (200, 300)]
    first, second = (Image.open(p).convert("RGB") for p in paths)
    width = scale_for(second.size)[1]
    assert second.getpixel((70, 130 + width - 1)) == SURE_COLOUR  # the outline under the box, on page 2 only
    assert first.getpixel((70, 130 + width - 1)) == (255, 255, 255)


def test_overlay_names_are_safe_file_names():
    assert overlay_stem("invoices/2024/a.pdf") == "invoices_2024_a.pdf"
    assert "/" not in overlay_stem("../../etc/passwd") and not overlay_stem("../../etc/passwd").startswith(".")
    assert overlay_stem("///") == "document"
