"""A page photographed at an angle: find the paper's four corners and flatten it.

Seen at an angle, a rectangle becomes a quadrilateral whose opposite edges converge; text
lines then tilt by different amounts across the page, which no single rotation can level.
When the paper stands out against what it lies on (a table, a lap, a scanner lid), its
outline gives the four corners, and one perspective transform maps them back to a rectangle.

The step only acts on clear evidence: a bright region covering a good part of the picture,
shaped like a quadrilateral, surrounded by darker background, with opposite edges that
really converge (a rectangle that is merely turned is left to the deskew, and a page that
fills the picture has no outline to find).
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from extraction.pageprep.transform import PageTransform

#: The paper must cover at least this share of the picture.
MIN_PAPER_SHARE = 0.2

#: Opposite edges must converge by at least this many degrees (below: a turned rectangle).
MIN_CONVERGENCE_DEG = 1.5

#: ... and by no more than this (beyond: not a page seen at an angle, or a wrong outline).
MAX_CONVERGENCE_DEG = 30.0

#: The background must be darker than the paper by at least this share of its brightness.
MIN_CONTRAST = 0.25

#: The quadrilateral must match the paper region this well (area of overlap / union).
MIN_FIT = 0.9


def page_outline(gray: np.ndarray, scale: float) -> Optional[PageTransform]:
    """The transform flattening the paper seen in ``gray`` (the page's analysis copy, at
    ``scale`` analysis pixels per page pixel), or None when there is no clear outline."""
    # The outline needs no detail: half the analysis copy is plenty and four times cheaper.
    half = cv2.resize(gray, (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    corners = paper_corners(half)
    if corners is None:
        return None
    corners = corners * (gray.shape[1] / half.shape[1]) / scale
    top, right = np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[1])
    bottom, left = np.linalg.norm(corners[2] - corners[3]), np.linalg.norm(corners[3] - corners[0])
    width, height = int(round(max(top, bottom))), int(round(max(left, right)))
    if width < 16 or height < 16:
        return None
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target).astype(np.float64)
    return PageTransform(matrix, (width, height))


def paper_corners(gray: np.ndarray) -> Optional[np.ndarray]:
    """Corners (top-left, top-right, bottom-right, bottom-left) of the paper in ``gray``."""
    height, width = gray.shape
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    threshold, paper = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Close the print (dark text on the paper) and open away specks of light background.
    size = max(3, int(0.02 * max(height, width)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.morphologyEx(cv2.morphologyEx(paper, cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    if count <= 1:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = (labels == biggest).astype(np.uint8)
    area = float(stats[biggest, cv2.CC_STAT_AREA])
    if area < MIN_PAPER_SHARE * height * width or area > 0.97 * height * width:
        return None
    outside = blurred[region == 0]
    inside = blurred[region == 1]
    if outside.size == 0 or float(np.median(outside)) > (1.0 - MIN_CONTRAST) * float(np.median(inside)):
        return None
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    quad = _four_corners(hull)
    if quad is None:
        return None
    drawn = np.zeros_like(region)
    cv2.fillConvexPoly(drawn, quad.astype(np.int32), 1)
    union = float(np.count_nonzero(drawn | region))
    if union == 0 or np.count_nonzero(drawn & region) / union < MIN_FIT:
        return None
    if _touches_border(quad, width, height):
        return None  # the paper runs off the picture: its outline is not its true shape
    convergence = max(_angle_between(quad[0], quad[1], quad[3], quad[2]), _angle_between(quad[0], quad[3], quad[1], quad[2]))
    if not MIN_CONVERGENCE_DEG <= convergence <= MAX_CONVERGENCE_DEG:
        return None
    return quad


def _four_corners(hull: np.ndarray) -> Optional[np.ndarray]:
    """The hull simplified to four corners, ordered clockwise from the top-left."""
    perimeter = cv2.arcLength(hull, True)
    for share in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, share * perimeter, True)
        if len(approx) == 4:
            points = approx.reshape(4, 2).astype(np.float64)
            break
    else:
        return None
    center = points.mean(axis=0)
    order = np.argsort(np.arctan2(points[:, 1] - center[1], points[:, 0] - center[0]))
    points = points[order]  # clockwise in image axes (y down), starting anywhere
    start = int(np.argmin(points.sum(axis=1)))  # top-left: smallest x + y
    return np.roll(points, -start, axis=0)


def _touches_border(quad: np.ndarray, width: int, height: int) -> bool:
    margin = 0.005 * max(width, height) + 1
    near = (quad[:, 0] < margin) | (quad[:, 0] > width - 1 - margin) | (quad[:, 1] < margin) | (quad[:, 1] > height - 1 - margin)
    return bool(near.sum() >= 2)


def _angle_between(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> float:
    """Degrees between the edges a0->a1 and b0->b1 (0 when parallel)."""
    u, v = a1 - a0, b1 - b0
    cosine = float(np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9))
    return float(np.degrees(np.arccos(np.clip(abs(cosine), 0.0, 1.0))))
