"""Page transforms as 3 x 3 matrices from the received page's pixels to the prepared page's.

One representation for every correction (quarter turns, deskew, perspective) so that they
compose into a single resampling of the image (one loss of sharpness, not three), and so that
the exact mapping can be reported: a caller can map any box back onto the image it sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

#: How a levelled or flattened page is resampled (the one resampling it gets).
RESAMPLING = cv2.INTER_CUBIC


@dataclass(frozen=True)
class PageTransform:
    """``matrix`` maps (x, y, 1) of the received page to the prepared page of ``size`` (w, h)."""

    matrix: np.ndarray
    size: tuple[int, int]

    @classmethod
    def identity(cls, width: int, height: int) -> "PageTransform":
        return cls(np.eye(3), (width, height))

    @property
    def is_identity(self) -> bool:
        return bool(np.allclose(self.matrix, np.eye(3)))

    def then(self, matrix: np.ndarray, size: tuple[int, int]) -> "PageTransform":
        """This transform followed by ``matrix`` (which maps this one's output to ``size``)."""
        return PageTransform(matrix @ self.matrix, size)

    def map_points(self, points: np.ndarray) -> np.ndarray:
        homogeneous = np.column_stack([points, np.ones(len(points))]) @ self.matrix.T
        return homogeneous[:, :2] / homogeneous[:, 2:3]


def quarter_turn(width: int, height: int, clockwise: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The matrix turning a ``width`` x ``height`` page clockwise by 0, 90, 180 or 270 degrees."""
    if clockwise == 90:
        return np.array([[0.0, -1.0, height], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), (height, width)
    if clockwise == 180:
        return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]]), (width, height)
    if clockwise == 270:
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]]), (height, width)
    return np.eye(3), (width, height)


def level_lines(width: int, height: int, skew_deg: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The rotation that makes lines descending to the right by ``skew_deg`` horizontal,
    with the canvas grown so that no corner of the page is cut off."""
    angle = np.radians(skew_deg)
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
    corners = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], dtype=np.float64) @ rotation.T
    low = corners[:, :2].min(axis=0)
    high = corners[:, :2].max(axis=0)
    rotation[:2, 2] -= low
    size = (max(1, int(np.ceil(high[0] - low[0]))), max(1, int(np.ceil(high[1] - low[1]))))
    return rotation, size


def apply(image: Image.Image, transform: PageTransform, fill: tuple[int, int, int]) -> Image.Image:
    """``image`` resampled through ``transform``; areas outside the page get ``fill``."""
    if transform.is_identity and transform.size == image.size:
        return image
    turned = _as_quarter_turn(image, transform)
    if turned is not None:
        return turned
    # No copy of a page that is RGB already (``convert`` would make one: 140 MB for a
    # 35-megapixel scan), and the source pixels dropped before the result is wrapped.
    pixels = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    matrix = transform.matrix
    if np.allclose(matrix[2], [0.0, 0.0, 1.0]):
        out = cv2.warpAffine(pixels, matrix[:2], transform.size, flags=RESAMPLING, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    else:
        out = cv2.warpPerspective(pixels, matrix, transform.size, flags=RESAMPLING, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    del pixels
    return Image.fromarray(out)


def crop(image: Image.Image, transform: PageTransform, box: tuple[float, float, float, float], height: int) -> np.ndarray:
    """The region ``box`` (x1, y1, x2, y2) of the prepared page, scaled to ``height`` pixels
    high, as a BGR array read straight from the received ``image`` (only the few source pixels
    under the box are touched, so a crop costs the same on a 40-megapixel photo)."""
    x1, y1, x2, y2 = box
    scale = height / max(y2 - y1, 1e-6)
    width = max(1, int(round((x2 - x1) * scale)))
    # The part of the received image under the box (its corners mapped back), plus a margin.
    inverse = PageTransform(np.linalg.inv(transform.matrix), image.size)
    corners = inverse.map_points(np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float64))
    left, top = np.floor(corners.min(axis=0)).astype(int) - 2
    right, bottom = np.ceil(corners.max(axis=0)).astype(int) + 2
    left, top = max(int(left), 0), max(int(top), 0)
    right, bottom = min(int(right), image.width), min(int(bottom), image.height)
    if right <= left or bottom <= top:
        return np.zeros((height, width, 3), dtype=np.uint8)
    pixels = np.ascontiguousarray(np.asarray(image.crop((left, top, right, bottom)).convert("RGB"))[:, :, ::-1])
    shift = np.array([[1.0, 0.0, left], [0.0, 1.0, top], [0.0, 0.0, 1.0]])
    to_crop = np.array([[scale, 0.0, -x1 * scale], [0.0, scale, -y1 * scale], [0.0, 0.0, 1.0]]) @ transform.matrix @ shift
    if np.allclose(to_crop[2], [0.0, 0.0, 1.0]):
        return cv2.warpAffine(pixels, to_crop[:2], (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpPerspective(pixels, to_crop, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def is_lossless(transform: PageTransform, width: int, height: int) -> bool:
    """Whether ``transform`` of a ``width`` x ``height`` page is the identity or a quarter turn
    (pixels moved, none interpolated)."""
    if transform.is_identity and transform.size == (width, height):
        return True
    return any(
        size == transform.size and np.allclose(matrix, transform.matrix)
        for matrix, size in (quarter_turn(width, height, clockwise) for clockwise in _TRANSPOSES)
    )


def scaled(transform: PageTransform, factor: float) -> PageTransform:
    """``transform`` followed by an enlargement by ``factor`` (one matrix: still one resampling)."""
    width, height = transform.size
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return transform.then(np.diag([factor, factor, 1.0]), size)


_TRANSPOSES = {
    90: Image.Transpose.ROTATE_270,  # Pillow's names count counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _as_quarter_turn(image: Image.Image, transform: PageTransform) -> Image.Image | None:
    """A pure quarter turn is done losslessly by Pillow instead of resampling."""
    width, height = image.size
    for clockwise, method in _TRANSPOSES.items():
        matrix, size = quarter_turn(width, height, clockwise)
        if size == transform.size and np.allclose(matrix, transform.matrix):
            return image.transpose(method)
    return None


def content_crop(mapping: PageTransform, points: np.ndarray, margin: float) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The crop (a shift, and the new size) of ``mapping``'s canvas to the box around ``points``
    (ink, in the pixels ``mapping`` reads), grown by ``margin`` pixels and kept inside the
    canvas; None when the box is (nearly) the whole canvas.

    Levelling a tilted page grows its canvas by the white wedges the turn uncovers (twice when
    the photo was itself turned onto a larger canvas); OCR scales the whole canvas to its
    detection size, so every wedge makes the characters it sees smaller.
    """
    if len(points) == 0:
        return None
    mapped = mapping.map_points(points)
    width, height = mapping.size
    left, top = np.maximum(np.floor(mapped.min(axis=0) - margin), 0.0)
    right, bottom = np.minimum(np.ceil(mapped.max(axis=0) + margin), [width, height])
    if right - left < 16 or bottom - top < 16 or (right - left) * (bottom - top) >= 0.98 * width * height:
        return None
    shift = np.array([[1.0, 0.0, -left], [0.0, 1.0, -top], [0.0, 0.0, 1.0]])
    return shift, (int(right - left), int(bottom - top))
