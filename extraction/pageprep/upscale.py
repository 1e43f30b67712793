"""Small text, enlarged for OCR: the detector misses characters only a few pixels tall.

A photo sent at a low resolution (or a receipt photographed from afar) has characters of
8 to 12 pixels; the text detector, trained on larger text, merges or drops them. Enlarging
the page so that its characters reach a target height lets it see them again. Only OCR reads
the enlarged copy: the boxes it returns are scaled back, so the page keeps its own size.
"""

from __future__ import annotations

from PIL import Image

from extraction.layout import Line, Word

#: Enlargements smaller than this are not worth a resampling.
MIN_FACTOR = 1.15


def ocr_scale(text_height: float, size: tuple[int, int], target: float, max_factor: float, max_side: int) -> float:
    """The factor to enlarge a page whose characters are ``text_height`` pixels (1 = as is)."""
    if text_height <= 0 or text_height >= target:
        return 1.0
    factor = min(target / text_height, max_factor, max_side / max(size))
    return round(factor, 3) if factor >= MIN_FACTOR else 1.0


def enlarge(image: Image.Image, factor: float) -> Image.Image:
    width, height = image.size
    return image.resize((max(1, round(width * factor)), max(1, round(height * factor))), Image.Resampling.BICUBIC)


def shrink_lines(lines: list[Line], factor: float) -> list[Line]:
    """Lines read on a copy enlarged by ``factor``, with their boxes back at the page's size."""
    if factor == 1.0:
        return lines

    def box(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return (bbox[0] / factor, bbox[1] / factor, bbox[2] / factor, bbox[3] / factor)

    return [
        Line(
            text=line.text,
            bbox=box(line.bbox),
            confidence=line.confidence,
            words=[Word(text=word.text, bbox=box(word.bbox), confidence=word.confidence) for word in line.words],
        )
        for line in lines
    ]
