"""``--errors-gallery DIR``: a picture per wrong header field, expected beside predicted.

A row of ``--errors`` says *that* a field was wrong; the picture shows *why*: on the left the
page around what the pipeline read (its box in the confidence colour), on the right the page
around the OCR lines where the expected value is printed (purple), or the whole page when the
expected value cannot be found in the OCR text (then it was misread, or never read at all).
``index.html`` lists every picture with its values.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from PIL import Image, ImageDraw

from extraction.evaluate.manifest import load_dataset
from extraction.overlay.document import overlay_stem
from extraction.overlay.draw import EXPECTED_COLOUR, PANEL_TEXT, RGB, confidence_colour, load_font, outline, shorten, text_size
from extraction.overlay.pages import page_images

PANEL_WIDTH, PANEL_HEIGHT = 560, 300
CAPTION_LINES = 2
FONT_SIZE = 15
GAP = 12
BACKGROUND: RGB = (245, 245, 245)
PLACEHOLDER: RGB = (225, 225, 225)
KINDS = ("wrong", "missing", "spurious")


def _crop_around(image: Image.Image, box: Sequence[float], colour: RGB) -> Image.Image:
    """The page around ``box`` (a few lines above and below, most of the width), sized to a
    panel, with the box drawn after scaling so that its outline stays crisp."""
    x1, y1, x2, y2 = (float(v) for v in box[:4])
    height = max(y2 - y1, 8.0)
    reach_x = max((x2 - x1) * 0.6, image.width * 0.25)
    reach_y = max(height * 3.0, image.height * 0.04)
    area = (
        int(max(x1 - reach_x, 0)),
        int(max(y1 - reach_y, 0)),
        int(min(x2 + reach_x, image.width)),
        int(min(y2 + reach_y, image.height)),
    )
    crop = _fit(image.crop(area))
    scale = crop.width / max(area[2] - area[0], 1)
    shown = [(x1 - area[0]) * scale, (y1 - area[1]) * scale, (x2 - area[0]) * scale, (y2 - area[1]) * scale]
    outline(ImageDraw.Draw(crop), shown, colour, 2)
    return crop


def _fit(image: Image.Image) -> Image.Image:
    scale = min(PANEL_WIDTH / image.width, PANEL_HEIGHT / image.height, 2.0)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)


def _placeholder(text: str) -> Image.Image:
    image = Image.new("RGB", (PANEL_WIDTH, PANEL_HEIGHT // 2), PLACEHOLDER)
    font = load_font(FONT_SIZE)
    w, h = text_size(font, text)
    ImageDraw.Draw(image).text(((image.width - w) / 2, (image.height - h) / 2), text, fill=PANEL_TEXT, font=font)
    return image


def _panels(row: dict[str, Any], pages: dict[int, Image.Image]) -> tuple[Image.Image, Image.Image, str]:
    """(predicted picture, expected picture, note on how the expected one was found)."""
    predicted_page = pages.get(row.get("page") or 1)
    if row.get("bbox") and predicted_page is not None:
        predicted = _crop_around(predicted_page, row["bbox"], confidence_colour(row.get("confidence")))
    else:
        predicted = _placeholder("nothing read for this field")
    found = row.get("expected_box")
    if row.get("expected") is None:
        return predicted, _placeholder("no expected value (the field is not on this document)"), ""
    if found and pages.get(found[0]) is not None:
        return predicted, _crop_around(pages[found[0]], found[1:5], EXPECTED_COLOUR), "where the OCR text has it"
    if pages:
        first = pages[min(pages)]
        return predicted, _fit(first), "not in the OCR text: the whole page"
    return predicted, _placeholder("page not available"), ""


def render_tile(row: dict[str, Any], pages: dict[int, Image.Image]) -> Image.Image:
    """One error: a title line, then predicted | expected, each captioned with its value."""
    font = load_font(FONT_SIZE)
    line = text_size(font, "Ag")[1] + 6
    predicted, expected, note = _panels(row, pages)
    body = max(predicted.height, expected.height)
    tile = Image.new("RGB", (2 * PANEL_WIDTH + 3 * GAP, line + GAP + body + CAPTION_LINES * line + 2 * GAP), BACKGROUND)
    draw = ImageDraw.Draw(tile)
    title = f"{row.get('id')} · {row.get('field')} · {row.get('kind')}"
    draw.text((GAP, GAP // 2), shorten(title, 110), fill=PANEL_TEXT, font=font)
    top = line + GAP
    tile.paste(predicted, (GAP, top))
    tile.paste(expected, (2 * GAP + PANEL_WIDTH, top))
    confidence = row.get("confidence")
    said = "predicted" + (f" ({confidence:.2f})" if isinstance(confidence, (int, float)) else "") + f": {row.get('predicted')}"
    printed = f"read as: {row.get('predicted_text')}" if row.get("predicted_text") else ""
    captions = [
        (GAP, [(said, confidence_colour(confidence) if row.get("predicted") is not None else PANEL_TEXT), (printed, PANEL_TEXT)]),
        (2 * GAP + PANEL_WIDTH, [(f"expected: {row.get('expected')}", EXPECTED_COLOUR), (note, PANEL_TEXT)]),
    ]
    for left, texts in captions:
        for index, (text, colour) in enumerate(texts[:CAPTION_LINES]):
            draw.text((left, top + body + GAP // 2 + index * line), shorten(text, 60), fill=colour, font=font)
    return tile


def _files(dataset_paths: Iterable[Path]) -> dict[tuple[str, str], Optional[Path]]:
    files: dict[tuple[str, str], Optional[Path]] = {}
    for path in dataset_paths:
        dataset = load_dataset(path)
        for entry in dataset.entries:
            files[(dataset.name, entry.id)] = entry.file
    return files


def write_gallery(out_dir: Path, errors: Iterable[dict[str, Any]], dataset_paths: Iterable[Path]) -> int:
    """A PNG per wrong, missing or spurious header field of ``errors`` (the ``--errors`` rows)
    plus ``index.html``; returns how many pictures were written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _files(dataset_paths)
    cached: tuple[Optional[Path], dict[int, Image.Image]] = (None, {})
    entries: list[str] = []
    for row in errors:
        if row.get("field") == "line_items" or row.get("kind") not in KINDS:
            continue
        path = files.get((row.get("dataset", ""), row.get("id", "")))
        if path is None:
            continue
        if cached[0] != path:  # rows come grouped by document: keep one document's pages
            try:
                cached = (path, page_images(path))
            except Exception:  # a document the pipeline could not load has no pages to show
                cached = (path, {})
        name = f"{len(entries) + 1:04d}_{overlay_stem(str(row.get('dataset')))}_{overlay_stem(str(row.get('id')))}_{row.get('field')}.png"
        render_tile(row, cached[1]).save(out_dir / name, optimize=True)
        entries.append(
            "<figure><figcaption>{}</figcaption><img src=\"{}\" loading=\"lazy\"></figure>".format(
                html.escape(f"{row.get('run') or row.get('dataset')} · {row.get('id')} · {row.get('field')} · {row.get('kind')}: "
                            f"expected {row.get('expected')!r}, predicted {row.get('predicted')!r}"),
                html.escape(name),
            )
        )
    page = "<!doctype html><meta charset=\"utf-8\"><title>Extraction errors</title>\n<style>figure{margin:1em 0}img{max-width:100%}</style>\n"
    (out_dir / "index.html").write_text(page + f"<h1>{len(entries)} wrong fields</h1>\n" + "\n".join(entries) + "\n", encoding="utf-8")
    return len(entries)
