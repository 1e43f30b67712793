"""Ink on a small copy of the page: the raw material of every page-preparation decision.

Decisions (orientation, skew, text height) are made on a copy whose long side is about a
thousand pixels: enough to see characters as separate blobs, small enough that the whole
analysis costs a few tens of milliseconds. Ink is what is clearly darker than the paper
around it (a local background, so shadows and grey paper do not turn into ink), and the
blobs kept are the character-sized ones: rulings, borders and scanner edges are far larger
than a character and speckles far smaller, and neither says anything about the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

#: Long side of the analysis copy, in pixels (pages are never enlarged for it).
WORKING_LONG_SIDE = 1024

#: A pixel is ink when it is darker than a share of its local background brightness: the
#: share that best splits this page's pixels into two groups (Otsu), kept within these bounds
#: (faint thermal print needs a high share, crisp laser print a low one).
INK_RATIO_RANGE = (0.55, 0.88)

#: Background darker than this (0-255) is not paper (scanner lids, tables, black borders).
MIN_PAPER_BRIGHTNESS = 50


@dataclass
class Blobs:
    """Character-sized connected ink components of the analysis copy.

    ``boxes`` are ``(x, y, w, h)`` rows and ``centers`` ``(x, y)`` rows, in pixels of the
    analysis copy; ``scale`` is analysis pixels per page pixel.
    """

    boxes: np.ndarray
    centers: np.ndarray
    areas: np.ndarray  # ink pixels of each blob
    scale: float
    ink: np.ndarray  # the analysis copy's ink mask (uint8, 1 = ink)
    pixels: np.ndarray  # (x, y) rows: a sample of the kept blobs' ink pixels
    paper: int = 255  # brightness of the paper (0-255), to fill what a rotation uncovers

    def __len__(self) -> int:
        return len(self.centers)


def working_gray(image: Image.Image, long_side: int = WORKING_LONG_SIDE) -> tuple[np.ndarray, float]:
    """A greyscale copy with its long side at most ``long_side``, and its scale to the page."""
    factor = max(1, int(np.ceil(max(image.size) / long_side)))
    small = image.reduce(factor) if factor > 1 else image  # box filter: fast and keeps thin strokes
    gray = small.convert("L")
    return np.asarray(gray), gray.width / image.width


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """1 where a pixel is ink (much darker than the paper around it), else 0 (uint8)."""
    height, width = gray.shape
    step = 8
    small = cv2.resize(gray, (max(1, width // step), max(1, height // step)), interpolation=cv2.INTER_AREA)
    # The paper's brightness: the brightest value nearby (text is thin, paper surrounds it).
    background = cv2.dilate(small, np.ones((5, 5), np.uint8))
    background = cv2.GaussianBlur(background, (5, 5), 0)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    paper = background > MIN_PAPER_BRIGHTNESS
    ratio = np.clip(gray.astype(np.float32) / np.maximum(background, 1.0), 0.0, 1.0)
    ratio_u8 = (ratio * 255.0).astype(np.uint8)
    threshold, _ = cv2.threshold(ratio_u8[paper] if paper.any() else ratio_u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    low, high = INK_RATIO_RANGE
    threshold = float(np.clip(threshold / 255.0, low, high))
    return ((ratio < threshold) & paper).astype(np.uint8)


def character_blobs(image: Image.Image, max_blobs: int = 2000) -> Blobs:
    """The character-sized blobs of ``image`` (at most ``max_blobs``, evenly sampled)."""
    return blobs_of_gray(*working_gray(image), max_blobs=max_blobs)


def blobs_of_gray(gray: np.ndarray, scale: float, max_blobs: int = 2000) -> Blobs:
    """The character-sized blobs of an analysis copy (see :func:`working_gray`)."""
    blobs = blobs_of_mask(ink_mask(gray), scale, max_blobs)
    blobs.paper = int(np.percentile(gray, 95)) if gray.size else 255
    return blobs


def blobs_of_mask(ink: np.ndarray, scale: float, max_blobs: int = 2000, max_pixels: int = 10000) -> Blobs:
    count, labels, stats, centers = cv2.connectedComponentsWithStats(ink, connectivity=8)
    stats, centers = stats[1:], centers[1:]
    empty = Blobs(np.zeros((0, 4)), np.zeros((0, 2)), np.zeros(0), scale, ink, np.zeros((0, 2)))
    if count <= 1:
        return empty
    widths, heights, areas = stats[:, 2], stats[:, 3], stats[:, 4]
    size = np.maximum(widths, heights)
    visible = (areas >= 4) & (size >= 3)
    if not visible.any():
        return empty
    typical = float(np.median(size[visible]))
    keep = visible & (size <= 4.0 * typical) & (size >= 0.3 * typical)
    boxes, centers, areas = stats[keep, :4].astype(np.float64), centers[keep].astype(np.float64), areas[keep].astype(np.float64)
    if len(centers) > max_blobs:
        chosen = np.linspace(0, len(centers) - 1, max_blobs).astype(int)
        boxes, centers, areas = boxes[chosen], centers[chosen], areas[chosen]
    kept_label = np.concatenate([[False], keep])
    ys, xs = np.nonzero(kept_label[labels])
    if len(xs) > max_pixels:
        chosen = np.linspace(0, len(xs) - 1, max_pixels).astype(int)
        xs, ys = xs[chosen], ys[chosen]
    pixels = np.stack([xs, ys], axis=1).astype(np.float64)
    return Blobs(boxes, centers, areas, scale, ink, pixels)
