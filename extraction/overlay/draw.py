"""Drawing primitives shared by the document overlay and the evaluation's error gallery.

Why shared: both show a person *where* a value was read and *how sure* the extractor was, and
should use one colour code for it, so that a picture from one reads like the other.
"""

from __future__ import annotations

import functools
from typing import Optional, Sequence

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
Rect = tuple[float, float, float, float]

#: Confidence at or above which a value is drawn as sure (green), and below which as doubtful (red).
CONFIDENT = 0.8
DOUBTFUL = 0.5
SURE_COLOUR: RGB = (22, 150, 70)
UNSURE_COLOUR: RGB = (230, 130, 0)
DOUBTFUL_COLOUR: RGB = (215, 35, 35)
LINE_ITEM_COLOUR: RGB = (40, 90, 220)
EXPECTED_COLOUR: RGB = (128, 40, 190)
PANEL_TEXT: RGB = (20, 20, 20)
PANEL_BORDER: RGB = (90, 90, 90)
PASS_COLOUR: RGB = SURE_COLOUR
FAIL_COLOUR: RGB = DOUBTFUL_COLOUR

#: Font files tried first (sharper, wider Unicode coverage than Pillow's built-in font).
FONT_FILES = ("DejaVuSans.ttf", "Arial.ttf", "LiberationSans-Regular.ttf")


def confidence_colour(confidence: Optional[float]) -> RGB:
    """Green for a sure value, orange for an unsure one, red for a doubtful (or unknown) one."""
    if confidence is None or confidence < DOUBTFUL:
        return DOUBTFUL_COLOUR
    return SURE_COLOUR if confidence >= CONFIDENT else UNSURE_COLOUR


def legend() -> list[tuple[str, RGB]]:
    """What the colours mean, as one line of coloured text."""
    return [
        ("confidence ", PANEL_TEXT),
        (f">={CONFIDENT:.2f} ", SURE_COLOUR),
        (f"{DOUBTFUL:.2f}-{CONFIDENT:.2f} ", UNSURE_COLOUR),
        (f"<{DOUBTFUL:.2f}", DOUBTFUL_COLOUR),
        ("  line item", LINE_ITEM_COLOUR),
    ]


@functools.lru_cache(maxsize=16)
def load_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def scale_for(size: tuple[int, int]) -> tuple[int, int]:
    """Font size and line width that read alike on a 500-pixel receipt and a 200-dpi A4 page."""
    longest = max(size)
    font_size = int(min(28, max(12, round(10 * longest / 1000))))
    width = int(max(2, round(2 * longest / 1000)))
    return font_size, width


def text_size(font: ImageFont.ImageFont | ImageFont.FreeTypeFont, text: str) -> tuple[int, int]:
    left, top, right, bottom = font.getbbox(text)
    return int(right - left), int(bottom - min(top, 0))


def readable_on(colour: RGB) -> RGB:
    """Black or white text, whichever stands out on ``colour``."""
    luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    return (0, 0, 0) if luminance > 150 else (255, 255, 255)


def shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def outline(draw: ImageDraw.ImageDraw, bbox: Sequence[float], colour: RGB, width: int) -> Rect:
    """A rectangle just outside ``bbox`` (so the text inside stays readable); returns what it covers."""
    x1, y1, x2, y2 = (float(v) for v in bbox[:4])
    rect = (x1 - width, y1 - width, x2 + width - 1, y2 + width - 1)
    draw.rectangle(rect, outline=colour, width=width)
    return rect


def overlap(a: Rect, b: Rect) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


class InkMap:
    """How much of a rectangle of the page is printed on (an integral image: any rectangle in O(1)).

    Labels and the panel go where they hide the least of the page's own text.
    """

    def __init__(self, image: Image.Image, threshold: int = 140) -> None:
        import numpy as np

        dark = (np.asarray(image.convert("L"), dtype=np.uint8) < threshold).astype(np.int32)
        self._sums = np.pad(dark.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        self.height, self.width = dark.shape

    def count(self, rect: Rect) -> int:
        x1, y1 = max(int(rect[0]), 0), max(int(rect[1]), 0)
        x2, y2 = min(int(rect[2]), self.width), min(int(rect[3]), self.height)
        if x2 <= x1 or y2 <= y1:
            return 0
        s = self._sums
        return int(s[y2, x2] - s[y1, x2] - s[y2, x1] + s[y1, x1])


def place_label(
    size: tuple[int, int],
    box: Rect,
    label: tuple[int, int],
    avoid: Sequence[Rect],
    gap: int,
    ink: Optional[InkMap] = None,
) -> Rect:
    """Where a label of ``label`` (w, h) goes beside ``box``: the spot hiding the least of the
    other marks, the box itself and the page's print (above, below, right, left are tried)."""
    width, height = label
    x1, y1, x2, y2 = box
    candidates = [
        (x1, y1 - height - gap),
        (x1, y2 + gap),
        (x2 + gap, y1),
        (x1 - width - gap, y1),
        (x2 - width, y1 - height - gap),
        (x2 - width, y2 + gap),
    ]
    best: Optional[Rect] = None
    best_cost = float("inf")
    for left, top in candidates:
        left = min(max(left, 0.0), max(size[0] - width, 0.0))
        top = min(max(top, 0.0), max(size[1] - height, 0.0))
        rect = (left, top, left + width, top + height)
        cost = 2 * sum(overlap(rect, other) for other in avoid) + overlap(rect, box) + (ink.count(rect) if ink else 0)
        if cost < best_cost:
            best, best_cost = rect, cost
        if cost == 0:
            break
    assert best is not None
    return best


def tag(draw: ImageDraw.ImageDraw, rect: Rect, text: str, colour: RGB, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, pad: int) -> None:
    """Filled label: ``text`` on ``colour``."""
    draw.rectangle(rect, fill=colour)
    draw.text((rect[0] + pad, rect[1] + pad), text, fill=readable_on(colour), font=font)


Row = Sequence[tuple[str, RGB]]  # one line of the panel: coloured pieces of text


def panel(image: Image.Image, origin: tuple[float, float], rows: Sequence[Row], font: ImageFont.ImageFont | ImageFont.FreeTypeFont, pad: int) -> Rect:
    """A box of lines of coloured text on a light, mostly opaque background (the page shows through a little)."""
    width, height = panel_size(rows, font, pad)
    left, top = int(origin[0]), int(origin[1])
    rect = (left, top, min(left + width, image.width), min(top + height, image.height))
    region = image.crop(rect)
    image.paste(Image.blend(region, Image.new("RGB", region.size, (255, 255, 255)), 0.88), rect[:2])
    draw = ImageDraw.Draw(image)
    draw.rectangle((rect[0], rect[1], rect[2] - 1, rect[3] - 1), outline=PANEL_BORDER, width=1)
    line_height = text_size(font, "Ag")[1] + pad
    y = top + pad
    for row in rows:
        x = left + pad
        for text, colour in row:
            draw.text((x, y), text, fill=colour, font=font)
            x += int(font.getlength(text))
        y += line_height
    return rect


def panel_size(rows: Sequence[Row], font: ImageFont.ImageFont | ImageFont.FreeTypeFont, pad: int) -> tuple[int, int]:
    line_height = text_size(font, "Ag")[1] + pad
    width = max((sum(int(font.getlength(text)) for text, _ in row) for row in rows), default=0) + 2 * pad
    return width, line_height * len(rows) + pad
