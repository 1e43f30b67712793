"""Page preparation: a page image as a phone takes it -> the page as OCR reads it best.

Order of work, for each page image that goes to OCR:

1. look at a small copy: character blobs -> text direction, tilt, character height
   (:mod:`~extraction.pageprep.geometry`), and the paper's outline (:mod:`~extraction.pageprep.perspective`);
2. decide: the quarter turn, then upright or upside down by a vote of the text-line model on a
   few lines (:mod:`~extraction.pageprep.orientation`); deskew; the enlargement for OCR;
3. resample the page once through the combined transform, run OCR (on an enlarged copy when
   the text is small, boxes scaled back), and when the vote was close read the page the other
   way up as well, keeping the reading with more confident characters;
4. judge the reading: a page whose characters are read with low confidence is reported.

Everything the analysis costs is paid on every page, so it works on a copy of about a
thousand pixels and a dozen 48-pixel line crops (a few percent of the OCR time).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np
from PIL import Image

from extraction.documents import PageImage
from extraction.layout import Line
from extraction.pageprep import orientation as orient
from extraction.pageprep import perspective, quality, tilted, upscale
from extraction.pageprep.classifier import LineOrientationClassifier, shipped_model_path
from extraction.pageprep.geometry import TextGeometry, measure
from extraction.pageprep.ink import Blobs, blobs_of_gray, character_blobs, working_gray
from extraction.pageprep.transform import PageTransform, apply, content_crop, is_lossless, quarter_turn, scaled
from extraction.schema import PageCorrection
from extraction.settings import load_settings
from extraction.settings.pageprep import PagePrepSettings

log = logging.getLogger(__name__)

Recognize = Callable[[PageImage], list[Line]]


@dataclass
class Plan:
    """What will be done to a page: the transform, and the facts it was decided from."""

    transform: PageTransform
    rotation: int = 0
    deskew: float = 0.0
    flattened: bool = False
    ocr_scale: float = 1.0
    level_scale: float = 1.0  # OCR reads a copy resampled at this scale (resampled pages only)
    read_received: bool = False  # only levelled: read the received pixels, boxes mapped onto the levelled page
    fill: tuple[int, int, int] = (255, 255, 255)
    recheck: bool = False  # the upside-down vote was close: read both ways
    undecided: bool = False  # orientation wanted but nothing to decide it from (no geometry, no vote)
    geometry: Optional[TextGeometry] = None
    upside_down: Optional[float] = None


@dataclass
class PreparedRead:
    """A page after preparation and OCR: the page as read, its lines, what was done."""

    page: PageImage
    lines: list[Line]
    correction: Optional[PageCorrection]
    warnings: list[str] = field(default_factory=list)
    prep_seconds: float = 0.0


class PagePreparer:
    """Built once per pipeline; :meth:`read` is called for every page image."""

    def __init__(self, settings: Optional[PagePrepSettings] = None) -> None:
        self.settings = settings or PagePrepSettings()
        self._classifier: Optional[LineOrientationClassifier] = None
        self._classifier_failed = False
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> "PagePreparer":
        return cls(load_settings(PagePrepSettings))

    # ------------------------------------------------------------------ the pipeline's hook

    def read(self, page: PageImage, recognize: Recognize) -> PreparedRead:
        """Prepare ``page``, read it with ``recognize``, and judge the reading."""
        if not self.settings.enabled:
            return self._judged(PreparedRead(page=page, lines=recognize(page), correction=None))
        started = time.perf_counter()
        try:
            plan = self.plan(page.image)
            prepared = PageImage(number=page.number, image=apply(page.image, plan.transform, plan.fill))
        except Exception:  # noqa: BLE001 - a refinement: never lose a page over it
            log.warning("page preparation failed on page %d; reading it as received", page.number, exc_info=True)
            plan, prepared = Plan(transform=PageTransform.identity(*page.image.size)), page
        prep_seconds = time.perf_counter() - started
        lines = self._recognize(prepared, page.image, plan, recognize)
        turns: tuple[int, ...] = ()
        if plan.recheck:
            turns = (180,)
        elif plan.undecided and not self._readable(lines):
            # Nothing said which way up (too little clear text for the analysis) and the page
            # read badly as it is: try it the other way up, or both quarter turns when its
            # text ran up and down. Only unreadable pages pay for the extra readings.
            turns = (90, 270) if quality.vertical_share(lines) > 0.5 else (180,)
        best, base = self._score(lines), plan
        for degrees in turns:
            turned_plan = _turned(base, degrees)
            turned = PageImage(number=page.number, image=apply(page.image, turned_plan.transform, plan.fill))
            turned_lines = self._recognize(turned, page.image, turned_plan, recognize)
            if self._score(turned_lines) > best:
                plan, prepared, lines, best = turned_plan, turned, turned_lines, self._score(turned_lines)
        correction = PageCorrection(
            page=page.number,
            rotation=plan.rotation,  # type: ignore[arg-type]
            deskew=round(plan.deskew, 2),
            perspective=plan.flattened,
            ocr_scale=max(plan.ocr_scale, plan.level_scale),
            transform=_from_received(plan.transform.matrix, page.decoded_scale),
            width=prepared.image.width,
            height=prepared.image.height,
        )
        return self._judged(PreparedRead(page=prepared, lines=lines, correction=correction, prep_seconds=prep_seconds))

    # ------------------------------------------------------------------ decisions

    def plan(self, image: Image.Image) -> Plan:
        """Decide what to do to ``image`` (nothing is resampled here but a flattened copy)."""
        settings = self.settings
        plan = Plan(transform=PageTransform.identity(*image.size))
        gray, scale = working_gray(image)
        blobs = blobs_of_gray(gray, scale)
        plan.fill = (blobs.paper,) * 3
        source = image  # what the decisions below look at: the page, or the page flattened
        if settings.perspective:
            outline = perspective.page_outline(gray, scale)
            if outline is not None:
                plan.transform, plan.flattened = outline, True
                source = apply(image, outline, plan.fill)
                blobs = character_blobs(source)
        geometry = measure(blobs)
        plan.geometry = geometry
        plan.undecided = settings.orientation and geometry is None
        if geometry is None or (geometry.vertical and not settings.orientation):
            return plan  # too little text to tell; or lines running up-down that may not be turned
        deskew = geometry.skew if settings.deskew and abs(geometry.skew) >= settings.min_skew_deg else 0.0
        quarter, upright = orient.upright_candidate(*source.size, geometry, deskew)
        plan.transform = plan.transform.then(upright.matrix, upright.size)
        plan.rotation, plan.deskew = quarter, deskew
        if settings.trim and (deskew or plan.flattened):
            trim = content_crop(upright, _ink_points(blobs), settings.trim_margin * geometry.text_height)
            if trim is not None:
                plan.transform = plan.transform.then(*trim)
        if settings.orientation:
            vote = orient.decide(source, blobs, geometry, upright, quarter, self.classifier(), settings.flip_threshold)
            plan.upside_down = vote.upside_down
            plan.undecided = vote.upside_down is None and self.classifier() is not None
            if vote.upside_down is not None and settings.recheck_band > 0:
                plan.recheck = abs(vote.upside_down - settings.flip_threshold) < settings.recheck_band
            if vote.rotation != quarter:
                plan = _flipped(plan)
        if settings.upscale:
            plan.ocr_scale = upscale.ocr_scale(
                geometry.text_height, plan.transform.size, settings.text_height, settings.max_upscale, settings.max_upscaled_side
            )
        plan.level_scale = self._level_scale(plan.transform, image.size)
        plan.read_received = (
            settings.read_received
            and plan.rotation == 0
            and not plan.flattened
            and plan.deskew != 0.0
            and abs(plan.deskew) <= settings.read_received_max_deg
            and plan.ocr_scale == 1.0
        )
        return plan

    def _level_scale(self, transform: PageTransform, size: tuple[int, int]) -> float:
        """The working scale of the OCR copy of a page that is resampled (levelled or
        flattened): ``PAGE_LEVEL_SCALE`` within ``PAGE_LEVEL_MAX_SIDE``; 1 for a page left as
        received or only turned by quarter turns (those are read exactly as before)."""
        settings = self.settings
        if settings.level_scale <= 1.0 or is_lossless(transform, *size):
            return 1.0
        factor = min(settings.level_scale, settings.level_max_side / max(transform.size))
        return round(factor, 3) if factor >= upscale.MIN_FACTOR else 1.0

    def classifier(self) -> Optional[LineOrientationClassifier]:
        """The text-line orientation model, loaded on first use (None when it cannot be)."""
        if self._classifier is not None or self._classifier_failed:
            return self._classifier
        with self._lock:
            if self._classifier is None and not self._classifier_failed:
                path = Path(self.settings.orientation_model) if self.settings.orientation_model else shipped_model_path()
                try:
                    if path is None:
                        raise FileNotFoundError("the rapidocr wheel's text-line orientation model")
                    self._classifier = LineOrientationClassifier(path)
                except Exception as exc:  # noqa: BLE001 - pages are still turned by quarter turns
                    log.warning("text-line orientation model unavailable (%s): upside-down pages are not turned", exc)
                    self._classifier_failed = True
        return self._classifier

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _recognize(page: PageImage, received: Image.Image, plan: Plan, recognize: Recognize) -> list[Line]:
        """OCR of the prepared ``page``; lines in its pixels. A resampled page with a working
        scale is read from a copy made from the ``received`` pixels in one resampling at that
        scale (not from ``page``, which would interpolate interpolated pixels once more); a page
        that is only tilted may be read from the ``received`` pixels themselves
        (``PAGE_READ_RECEIVED``), its boxes carried onto ``page``."""
        if plan.read_received:
            read = recognize(PageImage(number=page.number, image=received))
            return tilted.level_lines(read, plan.transform, plan.deskew)
        if plan.level_scale > 1.0:
            factor = max(plan.level_scale, plan.ocr_scale)
            copy = PageImage(number=page.number, image=apply(received, scaled(plan.transform, factor), plan.fill))
            return upscale.shrink_lines(recognize(copy), factor)
        if plan.ocr_scale == 1.0:
            return recognize(page)
        enlarged = PageImage(number=page.number, image=upscale.enlarge(page.image, plan.ocr_scale))
        return upscale.shrink_lines(recognize(enlarged), plan.ocr_scale)

    def _readable(self, lines: list[Line]) -> bool:
        confidence = quality.mean_confidence(lines)
        sideways = quality.vertical_share(lines) > 0.5
        return (confidence is None or confidence >= self.settings.min_confidence) and not sideways

    @staticmethod
    def _score(lines: list[Line]) -> float:
        """Which of two readings of a page read more (a reading of text running up and down
        counts for nothing: its lines are read one by one but the layout is lost)."""
        return 0.0 if quality.vertical_share(lines) > 0.5 else quality.reading_score(lines)

    def _judged(self, read: PreparedRead) -> PreparedRead:
        confidence = quality.mean_confidence(read.lines)
        sideways = quality.vertical_share(read.lines) > 0.5
        readable = self._readable(read.lines)
        if read.correction is None:
            read.correction = PageCorrection(
                page=read.page.number,
                transform=_from_received(np.eye(3), read.page.decoded_scale),
                width=read.page.image.width,
                height=read.page.image.height,
            )
        read.correction.ocr_confidence = None if confidence is None else round(confidence, 3)
        read.correction.readable = readable
        if not readable:
            read.warnings.append(quality.unreadable_warning(read.page.number, confidence or 0.0, sideways))
        return read


def _from_received(matrix: np.ndarray, decoded_scale: float) -> Optional[list[list[float]]]:
    """The correction's matrix from the received image's pixels: the page's own transform after
    the decoder's reduction (a very large JPEG decoded at 1/2 scale); None when both are identity."""
    full = np.asarray(matrix, dtype=float) @ np.diag([decoded_scale, decoded_scale, 1.0])
    if np.allclose(full, np.eye(3)):
        return None
    return [[round(float(v), 6) for v in row] for row in full]


def _ink_points(blobs: Blobs, most: int = 20000) -> np.ndarray:
    """Ink pixels of the analysis copy (every component: a logo or a ruling is content too), in
    the pixels of the page it was made from; evenly sampled down to ``most``."""
    ys, xs = np.nonzero(blobs.ink)
    if len(xs) > most:
        chosen = np.linspace(0, len(xs) - 1, most).astype(int)
        xs, ys = xs[chosen], ys[chosen]
    # A pixel of the copy covers 1/scale page pixels: both of its far corners count.
    scale = max(blobs.scale, 1e-9)
    corners = np.concatenate([np.stack([xs, ys], axis=1), np.stack([xs + 1, ys + 1], axis=1)]).astype(np.float64)
    return corners / scale


def _flipped(plan: Plan) -> Plan:
    """The same plan, the page turned by a further 180 degrees."""
    return _turned(plan, 180)


def _turned(plan: Plan, clockwise: int) -> Plan:
    """The same plan, the page turned clockwise by a further 90, 180 or 270 degrees."""
    turn, size = quarter_turn(*plan.transform.size, clockwise)
    return dataclasses.replace(
        plan, transform=plan.transform.then(turn, size), rotation=(plan.rotation + clockwise) % 360, read_received=False
    )
