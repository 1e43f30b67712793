"""Which way the text runs, how much it is tilted, and how tall it is, from character blobs.

The method is the "docstrum": join every character to its nearest neighbours and look at the
directions of those links. Within a line, characters are much closer to each other than to
the lines above and below, so the links of horizontal text point left-right and those of a
page turned by 90 degrees point up-down, whatever the language, the font or the layout; the
small angle the links make with that axis is the page's skew. Rulings, borders and noise are
not characters (see :mod:`extraction.pageprep.ink`) and cast no vote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from extraction.pageprep.ink import Blobs

#: Neighbours linked to each character.
NEIGHBOURS = 4

#: Characters whose links are measured (evenly sampled beyond that: the answer is a ratio).
SAMPLED = 300

#: A link counts for an axis when it is within this many degrees of it.
AXIS_TOLERANCE_DEG = 20.0

#: Largest tilt looked for, in degrees (a page held crooked; beyond this it is a layout).
MAX_SKEW_DEG = 10.0

#: Fewer character blobs than this: too little text to decide anything.
MIN_BLOBS = 24


@dataclass(frozen=True)
class TextGeometry:
    """What the blobs say about the page.

    ``vertical``: the text runs up-down (the page is turned by 90 or 270 degrees).
    ``axis_ratio``: links along the chosen axis per link across it (1 = no evidence).
    ``skew``: degrees the lines are tilted from the axis, positive when they descend to the
    right (seen after the quarter turn, if any); undone by turning the page counter-clockwise.
    ``text_height``: typical character height across the lines (the ink-weighted median), in
    page pixels.
    """

    vertical: bool
    axis_ratio: float
    skew: float
    text_height: float
    blobs: int


def measure(blobs: Blobs) -> TextGeometry | None:
    """The page's text geometry, or None when there are too few characters to tell."""
    if len(blobs) < MIN_BLOBS:
        return None
    angles = _link_angles(blobs.centers)
    folded = np.mod(angles, 180.0)
    horizontal = np.minimum(folded, 180.0 - folded) < AXIS_TOLERANCE_DEG
    vertical_links = np.abs(folded - 90.0) < AXIS_TOLERANCE_DEG
    along_h, along_v = int(horizontal.sum()), int(vertical_links.sum())
    vertical = along_v > along_h
    along, across = (along_v, along_h) if vertical else (along_h, along_v)
    skew = _profile_skew(blobs.pixels, vertical)
    sizes = blobs.boxes[:, 2] if vertical else blobs.boxes[:, 3]
    # Weighted by ink: dashes, dots and specks are many but light; characters carry the ink.
    text_height = _weighted_median(sizes, blobs.areas) / max(blobs.scale, 1e-9)
    return TextGeometry(
        vertical=vertical,
        axis_ratio=round(along / max(across, 1), 3),
        skew=round(skew, 2),
        text_height=round(text_height, 1),
        blobs=len(blobs),
    )


def _link_angles(centers: np.ndarray) -> np.ndarray:
    """Directions (degrees, image axes: y down) from sampled characters to their neighbours."""
    count = len(centers)
    queries = centers if count <= SAMPLED else centers[np.linspace(0, count - 1, SAMPLED).astype(int)]
    distances = ((queries[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1)
    distances[distances == 0] = np.inf  # a character is not its own neighbour
    k = min(NEIGHBOURS, count - 1)
    nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    vectors = centers[nearest] - queries[:, None, :]
    return np.degrees(np.arctan2(vectors[..., 1], vectors[..., 0])).ravel()


def _profile_skew(pixels: np.ndarray, vertical: bool) -> float:
    """The tilt that stacks the ink into the sharpest lines (Postl's projection criterion).

    Projected across the lines, the ink of straight text piles into narrow peaks separated by
    empty gaps; any tilt smears them. The sum of the squared profile is largest at the right
    angle. Links between neighbours (used for the axis) are too short for a precise angle:
    their ends are whole pixels apart.
    """
    if len(pixels) == 0:
        return 0.0
    along, across = (pixels[:, 1], pixels[:, 0]) if vertical else (pixels[:, 0], pixels[:, 1])
    if vertical:
        along = -along  # seen after the quarter turn, the page's up is the analysis copy's right

    def sharpness(angle: float) -> float:
        radians = np.radians(angle)
        position = across * np.cos(radians) - along * np.sin(radians)
        profile = np.bincount((position - position.min()).astype(np.int64))
        return float(np.dot(profile, profile))

    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, 1.0)
    best = float(coarse[int(np.argmax([sharpness(a) for a in coarse]))])
    fine = np.arange(best - 0.8, best + 0.81, 0.2)
    return float(fine[int(np.argmax([sharpness(a) for a in fine]))])


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cumulative, cumulative[-1] / 2.0))])
