"""A tilted page read from its received pixels, its lines' boxes mapped onto the levelled page.

Levelling resamples the page, and OCR then interpolates again when it crops each line and
scales it to its recogniser's height: the characters are read from pixels interpolated twice
(three times for a photo that was itself turned). RapidOCR's detector finds a tilted line as a
turned rectangle and straightens it in its one crop, so the received pixels read as well as an
upright page's do; only the layout (rows, columns, reading order) needs level lines. So the page
is read as received and every box is carried onto the levelled page.

A box read on the tilted page is the axis-aligned box around a rectangle turned by the tilt
``t``: ``box_w = w cos t + h sin t`` and ``box_h = w sin t + h cos t``. Solving for the
rectangle's own ``w`` and ``h`` and placing it around the mapped centre gives the level box.
"""

from __future__ import annotations

import math

import numpy as np

from extraction.layout import BBox, Line, Word, sort_reading_order
from extraction.pageprep.transform import PageTransform

#: A recovered height under this share of the tilted box's height is taken as noise (a line
#: whose own angle differs from the page's): the height is then kept at that share.
MIN_HEIGHT_SHARE = 0.3


def level_box(bbox: BBox, transform: PageTransform, tilt_deg: float) -> BBox:
    """The box, on the levelled page, of the text whose box on the received page is ``bbox``."""
    x1, y1, x2, y2 = bbox
    box_w, box_h = max(x2 - x1, 0.0), max(y2 - y1, 0.0)
    angle = math.radians(abs(tilt_deg))
    cos, sin = math.cos(angle), math.sin(angle)
    det = cos * cos - sin * sin
    width = (box_w * cos - box_h * sin) / det
    height = (box_h * cos - box_w * sin) / det
    height = max(height, MIN_HEIGHT_SHARE * box_h)
    width = max(width, 1.0)
    cx, cy = transform.map_points(np.array([[(x1 + x2) / 2.0, (y1 + y2) / 2.0]]))[0]
    return (float(cx - width / 2.0), float(cy - height / 2.0), float(cx + width / 2.0), float(cy + height / 2.0))


def level_lines(lines: list[Line], transform: PageTransform, tilt_deg: float) -> list[Line]:
    """``lines`` read on the received page, with their boxes on the levelled page and in its
    reading order."""
    moved = [
        Line(
            text=line.text,
            bbox=level_box(line.bbox, transform, tilt_deg),
            confidence=line.confidence,
            words=[Word(text=w.text, bbox=level_box(w.bbox, transform, tilt_deg), confidence=w.confidence) for w in line.words],
        )
        for line in lines
    ]
    return sort_reading_order(moved)
