"""Which way up: the page turned by 0, 90, 180 or 270 degrees, decided before OCR.

Geometry (:mod:`extraction.pageprep.geometry`) says whether the text runs left-right or
up-down, which leaves two candidates 180 degrees apart; only the shapes of the characters
tell them apart. So a few lines are cut out of the page as it would be after the quarter turn
and deskew, and the text-line orientation model votes on each. Lines are found on the small
ink mask (characters smeared together along the line), and each crop is read straight from
the full-resolution page at the model's input height.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np
from PIL import Image

from extraction.pageprep.classifier import INPUT_HEIGHT, INPUT_WIDTH, LineOrientationClassifier
from extraction.pageprep.geometry import TextGeometry
from extraction.pageprep.ink import Blobs
from extraction.pageprep.transform import PageTransform, crop, level_lines, quarter_turn

#: Lines sampled for the vote.
MAX_CROPS = 16

#: Lines read first; the others only when these are not clear (mean within CLEAR_MARGIN of the threshold).
FIRST_CROPS = 6
CLEAR_MARGIN = 0.4

#: Fewer readable lines than this: no vote (the page is left as the geometry says).
MIN_CROPS = 3

#: A crop is at most this many line heights wide (the model's input is 4 heights wide).
CROP_ASPECT = INPUT_WIDTH / INPUT_HEIGHT


@dataclass(frozen=True)
class Orientation:
    """``rotation``: clockwise degrees that turn the page upright. ``upside_down``: mean
    probability, over the ``lines`` sampled, that they are upside down after the quarter turn
    (None when there was no vote)."""

    rotation: int
    upside_down: Optional[float]
    lines: int


def upright_candidate(width: int, height: int, geometry: TextGeometry, deskew: float) -> tuple[int, PageTransform]:
    """The quarter turn that makes the lines run left-right, and the transform that does it
    and then turns the page counter-clockwise by ``deskew`` degrees (0: no deskew)."""
    quarter = 90 if geometry.vertical else 0
    turn, size = quarter_turn(width, height, quarter)
    transform = PageTransform.identity(width, height).then(turn, size)
    if deskew:
        level, size = level_lines(size[0], size[1], deskew)
        transform = transform.then(level, size)
    return quarter, transform


def decide(
    page: Image.Image,
    blobs: Blobs,
    geometry: TextGeometry,
    candidate: PageTransform,
    quarter: int,
    classifier: Optional[LineOrientationClassifier],
    flip_threshold: float,
) -> Orientation:
    """Vote on the candidate's lines; flip by 180 degrees when they read upside down."""
    if classifier is None:
        return Orientation(rotation=quarter, upside_down=None, lines=0)
    boxes = line_boxes(blobs, geometry, candidate)
    if len(boxes) < MIN_CROPS:
        return Orientation(rotation=quarter, upside_down=None, lines=len(boxes))
    # Most pages are plainly upright (or plainly not) after a first handful of lines; the rest
    # are only read when those leave a doubt.
    probabilities = classifier.upside_down([crop(page, candidate, box, INPUT_HEIGHT) for box in boxes[:FIRST_CROPS]])
    if abs(float(np.mean(probabilities)) - flip_threshold) < CLEAR_MARGIN and len(boxes) > FIRST_CROPS:
        more = classifier.upside_down([crop(page, candidate, box, INPUT_HEIGHT) for box in boxes[FIRST_CROPS:]])
        probabilities = np.concatenate([probabilities, more])
    upside_down = float(np.mean(probabilities))
    rotation = (quarter + 180) % 360 if upside_down > flip_threshold else quarter
    return Orientation(rotation=rotation, upside_down=round(upside_down, 3), lines=len(probabilities))


def line_boxes(blobs: Blobs, geometry: TextGeometry, candidate: PageTransform) -> list[tuple[float, float, float, float]]:
    """Boxes (prepared-page pixels) of up to :data:`MAX_CROPS` line pieces, each at most
    :data:`CROP_ASPECT` line heights wide, spread over as many lines as possible."""
    scale = blobs.scale
    to_small = np.diag([scale, scale, 1.0]) @ candidate.matrix @ np.diag([1.0 / scale, 1.0 / scale, 1.0])
    size = (max(1, int(candidate.size[0] * scale)), max(1, int(candidate.size[1] * scale)))
    if np.allclose(to_small[2], [0.0, 0.0, 1.0]):
        ink = cv2.warpAffine(blobs.ink, to_small[:2], size, flags=cv2.INTER_NEAREST)
    else:
        ink = cv2.warpPerspective(blobs.ink, to_small, size, flags=cv2.INTER_NEAREST)
    text_height = max(geometry.text_height * scale, 2.0)
    # Smear characters into words and lines (gaps between letters are under a line height).
    kernel = np.ones((1, max(3, int(round(text_height)))), np.uint8)
    smeared = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    count, _labels, stats, _centers = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    lines = []
    for x, y, w, h, _area in stats[1:count]:
        if 0.6 * text_height <= h <= 2.5 * text_height and w >= 1.5 * h:
            lines.append((float(x), float(y), float(w), float(h)))
    lines.sort(key=lambda line: -line[2])
    pieces: list[list[tuple[float, float, float, float]]] = []
    for x, y, w, h in lines[:MAX_CROPS]:
        pad = 0.25 * h
        step = CROP_ASPECT * (h + 2 * pad) - 2 * pad
        row = []
        start = x
        while start < x + w - 0.5 * h and len(row) < 4:
            end = min(start + step, x + w)
            row.append(((start - pad) / scale, (y - pad) / scale, (end + pad) / scale, (y + h + pad) / scale))
            start = end
        pieces.append(row)
    chosen: list[tuple[float, float, float, float]] = []
    depth = 0
    while len(chosen) < MAX_CROPS and any(depth < len(row) for row in pieces):
        chosen.extend(row[depth] for row in pieces if depth < len(row))
        depth += 1
    return chosen[:MAX_CROPS]
