"""CPU OCR engine: RapidOCR 3.x on ONNX Runtime, with the PP-OCR models its wheel ships.

Runs offline: the det/rec models are inside the ``rapidocr`` wheel, so no download happens.
Settings come from env (``extraction.settings.rapidocr``) so they can be tuned without code changes.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from typing import Any

import numpy as np
from PIL import Image

from extraction.layout import Line, Word, polygon_to_bbox, sort_reading_order, split_line_into_words, union_bbox
from extraction.memory import release_freed_memory, resident_mb
from extraction.ocr.rapid_models import ShapeBuckets, tuned_rapidocr_class
from extraction.ocr.runtimes import SessionOptions, resolve_runtime
from extraction.ocr.spacing import Glyph, respace_line
from extraction.settings import load_settings
from extraction.settings.rapidocr import RapidOcrSettings

log = logging.getLogger(__name__)

#: sessions are built again only when the process has grown by at least this much since they
#: were last built (at load or at a rebuild): a worker whose other parts alone hold more than the
#: budget is not slowed by rebuilding after every page, nor a fresh one after its first page
RECYCLE_MIN_GAIN_MB = 64.0

#: Settings field -> RapidOCR parameter key. A field left unset (None) is not passed, so
#: RapidOCR keeps its own default and the engine description (an OCR cache key) stays short.
_PARAM_KEYS: dict[str, str] = {
    "det_limit_side_len": "Det.limit_side_len",
    "det_limit_type": "Det.limit_type",
    "det_box_thresh": "Det.box_thresh",
    "det_thresh": "Det.thresh",
    "det_unclip_ratio": "Det.unclip_ratio",
    "text_score": "Global.text_score",
    "use_cls": "Global.use_cls",
    "max_side_len": "Global.max_side_len",
    "threads": "EngineConfig.onnxruntime.intra_op_num_threads",
    "rec_model": "Rec.model_path",
    "rec_batch_size": "Rec.rec_batch_num",
}

def rapidocr_params(settings: RapidOcrSettings) -> dict[str, Any]:
    """The ``RapidOCR(params=...)`` dictionary for ``settings`` (our defaults and why: ``RapidOcrSettings``)."""
    params: dict[str, Any] = {"Global.log_level": "warning"}
    for field, key in _PARAM_KEYS.items():
        value = getattr(settings, field)
        if value is not None:
            params[key] = value
    return params


def session_options(settings: RapidOcrSettings) -> SessionOptions:
    """Runtime, threads, precision and compiled-model cache of the engine's sessions."""
    cache_dir = settings.openvino_cache_dir
    if cache_dir is None:
        from model_cache.paths import cache_root

        cache_dir = cache_root() / "openvino"
    threads = settings.threads if settings.threads is not None and settings.threads > 0 else None
    runtime = resolve_runtime(settings.runtime)
    det_runtime = runtime if settings.det_runtime == "same" else resolve_runtime(settings.det_runtime)
    return SessionOptions(
        runtime=runtime,
        threads=threads,
        precision=settings.precision,
        cache_dir=cache_dir.expanduser(),
        det_runtime=det_runtime if det_runtime != runtime else None,
    )


def params_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The RapidOCR parameters from ``environ`` (default ``os.environ``); bad values raise ``SettingsError``."""
    return rapidocr_params(load_settings(RapidOcrSettings, environ))


class RapidOcrEngine:
    """RapidOCR wrapped to the :class:`~extraction.ocr.base.OcrEngine` interface."""

    name = "rapidocr"

    def __init__(self, params: dict[str, Any] | None = None, settings: RapidOcrSettings | None = None) -> None:

        started = time.perf_counter()
        settings = settings if settings is not None else load_settings(RapidOcrSettings)
        self.params = rapidocr_params(settings) if params is None else {"Global.log_level": "warning", **params}
        self.word_boxes = settings.word_boxes
        self.respace = self.word_boxes and settings.respace
        self.crop_pad = settings.crop_pad
        self.session_options = session_options(settings)
        self.det_min_short_side = settings.det_min_short_side
        self.reduce_first = settings.reduce_first
        self.shape_buckets = ShapeBuckets(settings.det_shape_step, settings.rec_width_step, settings.rec_full_batches)
        engine_class = tuned_rapidocr_class(self.session_options, self.det_min_short_side, self.shape_buckets)
        self._engine_class = _padded_engine_class(engine_class, self.crop_pad) if self.crop_pad > 0 else engine_class
        self._engine = self._build_engine()
        self.recycle_above_mb = settings.recycle_above_mb
        self.recycled = 0  # times the sessions were built again for the memory they held
        # the process's memory just after the sessions were last built, the first time included:
        # what building again can hand back is at most what the process has grown since
        self._rebuilt_at_mb = resident_mb() or 0.0
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started
        log.info(
            "rapidocr loaded in %.2fs on %s (detector on %s) with %s",
            self.load_seconds,
            self.session_options.runtime,
            self.session_options.for_detector().runtime,
            self.params,
        )

    def _build_engine(self) -> Any:
        engine = self._engine_class(params=self.params)
        engine.load_models()  # at start-up, not inside the first document
        return engine

    def _recycle_if_large(self) -> None:
        """Build the sessions again when this process holds more than ``recycle_above_mb``.

        Why: OpenVINO's CPU plugin keeps buffers for every detector size and recogniser width it
        has run, so a process reading many receipts of different sizes grows (1.5 GB after 50
        sroie-dev receipts, measured by ``benchmarks/bench_memory.py``); trimming the heap does
        not return them, dropping the compiled models does. Only between pages, and only when no
        other thread is reading with the old sessions (they finish with the engine they hold).
        """
        if self.recycle_above_mb <= 0:
            return
        release_freed_memory()  # what the heap alone holds is no reason to rebuild
        resident = resident_mb()
        if resident is None or resident <= self.recycle_above_mb:
            return
        if resident < self._rebuilt_at_mb + RECYCLE_MIN_GAIN_MB:
            return  # the rest of the process is what holds it: building again would free nothing
        with self._in_flight_lock:  # a read that starts meanwhile waits, then takes the new sessions
            if self._in_flight:
                return
            try:
                fresh = self._build_engine()
            except Exception:  # noqa: BLE001 - the old sessions still read; memory is no reason to fail a job
                log.exception("rapidocr sessions could not be built again; the current ones are kept")
                self.recycle_above_mb = 0
                return
            self._engine = fresh
            gc.collect()
            release_freed_memory()
            self.recycled += 1
            self._rebuilt_at_mb = resident_mb() or 0.0
        log.info("rapidocr sessions built again: the process held %.0f MB (over %d MB)", resident, self.recycle_above_mb)

    def describe(self) -> dict[str, Any]:
        import rapidocr

        return {
            "name": self.name,
            "version": getattr(rapidocr, "__version__", None) or _package_version("rapidocr"),
            "load_ms": round(self.load_seconds * 1000, 1),
            "params": {k: v for k, v in self.params.items() if k != "Global.log_level"},
            "word_boxes": self.word_boxes,
            "respace": self.respace,
            # ONNX Runtime reads as RapidOCR's own sessions do: left out, so OCR caches made with them stay valid
            **({"runtime": "openvino", "precision": self._engine.session_precision()} if self.session_options.runtime == "openvino" else {}),
            # the detector on another runtime finds slightly other boxes: part of the OCR cache key
            **({"det_runtime": self.session_options.det_runtime} if self.session_options.det_runtime else {}),
            **({"det_min_short_side": self.det_min_short_side} if self.det_min_short_side > 0 else {}),
            **({"crop_pad": self.crop_pad} if self.crop_pad > 0 else {}),  # absent at the default: caches stay valid
            # padding changes the readings a little: part of the OCR cache key when on
            **({"det_shape_step": self.shape_buckets.det_step} if self.shape_buckets.det_step > 0 else {}),
            **({"rec_width_step": self.shape_buckets.rec_width_step} if self.shape_buckets.rec_width_step > 0 else {}),
            **({"rec_full_batches": True} if self.shape_buckets.rec_full_batches else {}),
        }

    def recognize(self, image: Image.Image) -> list[Line]:
        try:
            return self._recognize(image)
        finally:
            self._recycle_if_large()

    def _recognize(self, image: Image.Image) -> list[Line]:
        with self._in_flight_lock:
            self._in_flight += 1
            engine = self._engine  # this read keeps these sessions even if they are replaced meanwhile
        try:
            rgb = image if image.mode == "RGB" else image.convert("RGB")
            pixels, ratio_w, ratio_h = self._reduced(np.asarray(rgb), engine)
            bgr = np.ascontiguousarray(pixels[:, :, ::-1])  # RapidOCR expects OpenCV's BGR order
            del pixels
            # Character boxes (not word boxes): they locate each comma, so its space can be checked.
            result = engine(bgr, return_word_box=self.word_boxes, return_single_char_box=self.word_boxes)
            del bgr
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1
            del engine
        if result is None or not getattr(result, "txts", None):
            return []
        word_results = getattr(result, "word_results", None) or ()
        boxes = result.boxes
        if (ratio_w, ratio_h) != (1.0, 1.0):
            boxes = [_scaled(polygon, ratio_w, ratio_h, rgb.width, rgb.height) for polygon in boxes]
            word_results = [
                tuple((char, score, _scaled(polygon, ratio_w, ratio_h, rgb.width, rgb.height)) for char, score, polygon in entries or ())
                if entries else entries
                for entries in word_results
            ]
        gray = rgb.convert("L") if self.respace else None
        lines: list[Line] = []
        for index, (text, score, polygon) in enumerate(zip(result.txts, result.scores, boxes)):
            text = str(text).strip()
            if not text:
                continue
            bbox = polygon_to_bbox(polygon)
            glyphs = _glyphs_from_engine(word_results[index] if index < len(word_results) else None)
            if len(glyphs) != len(text.replace(" ", "")):
                glyphs = []
            if glyphs and gray is not None:
                text = _respaced(gray, polygon, text, glyphs)
            words = _words_from_glyphs(text, glyphs, word_results[index], _quad_height(polygon)) if glyphs else []
            if not words:
                words = split_line_into_words(text, bbox, float(score))
            lines.append(Line(text=text, bbox=bbox, confidence=float(score), words=words))
        return sort_reading_order(lines)

    def _reduced(self, pixels: np.ndarray, engine: Any) -> tuple[np.ndarray, float, float]:
        """A page over RapidOCR's ``max_side_len`` reduced here, exactly as RapidOCR would reduce it
        (same function, same size), with its ratios back to the page; other pages as they are.

        Why: RapidOCR reads a large page at that size anyway, but only after it has copied the
        full-size page to BGR and while it maps every line crop back to full size: a 4961 x 7016
        px scan cost ~380 MB of peak memory inside ``recognize``. Reduced first, the same text is
        read (the detector and recogniser get the same pixels) and the boxes are scaled back.
        """
        limit = getattr(engine, "max_side_len", None)
        if not self.reduce_first or not limit or max(pixels.shape[:2]) <= limit:
            return pixels, 1.0, 1.0
        from rapidocr.utils.process_img import reduce_max_side

        try:
            reduced, ratio_h, ratio_w = reduce_max_side(pixels, limit)
        except Exception:  # noqa: BLE001 - a sliver RapidOCR cannot size: handed over as is, RapidOCR decides
            return pixels, 1.0, 1.0
        return reduced, float(ratio_w), float(ratio_h)


def _scaled(polygon: Any, ratio_w: float, ratio_h: float, width: int, height: int) -> np.ndarray:
    """A polygon read on a reduced page, in the page's own pixels (as RapidOCR maps its boxes back)."""
    points = np.array(polygon, dtype=np.float32).reshape(-1, 2) * np.float32((ratio_w, ratio_h))
    points[:, 0] = points[:, 0].clip(0, width)
    points[:, 1] = points[:, 1].clip(0, height)
    return points


def grow_quad(points: Any, pad: float, width: int, height: int) -> np.ndarray:
    """A detected text quadrilateral grown by ``pad`` x its height on every side, along its own
    axes (so a slanted line stays aligned), clipped to the image."""
    quad = np.asarray(points, dtype=np.float32).reshape(4, 2)
    line_height = max(float(np.linalg.norm(quad[0] - quad[3])), float(np.linalg.norm(quad[1] - quad[2])))
    along = quad[1] - quad[0]
    across = quad[3] - quad[0]
    along = along / max(float(np.linalg.norm(along)), 1e-6)
    across = across / max(float(np.linalg.norm(across)), 1e-6)
    margin = pad * line_height
    grown = np.array(
        [
            quad[0] - margin * along - margin * across,
            quad[1] + margin * along - margin * across,
            quad[2] + margin * along + margin * across,
            quad[3] - margin * along + margin * across,
        ],
        dtype=np.float32,
    )
    grown[:, 0] = grown[:, 0].clip(0, width - 1)
    grown[:, 1] = grown[:, 1].clip(0, height - 1)
    return grown


def _padded_engine_class(base: type, pad: float) -> type:
    """RapidOCR with its line crops grown by ``pad`` (see ``RapidOcrSettings.crop_pad``).

    Overrides RapidOCR 3.x's ``crop_text_regions`` step; word boxes are still computed from the
    detected boxes, so they move by at most the margin. Without that step (another major
    version) the engine is used as is.
    """
    try:
        from rapidocr.utils.process_img import get_rotate_crop_image
    except ImportError:  # pragma: no cover - a RapidOCR without this helper
        get_rotate_crop_image = None
    if get_rotate_crop_image is None or not callable(getattr(base, "crop_text_regions", None)):
        log.warning("this RapidOCR has no crop step to pad; RAPIDOCR_CROP_PAD is ignored")
        return base

    class PaddedCropRapidOCR(base):  # type: ignore[misc, valid-type]
        def crop_text_regions(self, img: np.ndarray, det_boxes: Any) -> list[np.ndarray]:
            height, width = img.shape[:2]
            return [get_rotate_crop_image(img, grow_quad(box, pad, width, height)) for box in det_boxes]

    return PaddedCropRapidOCR


def _respaced(gray: Image.Image, polygon: Any, text: str, glyphs: list[Glyph]) -> str:
    """The line respaced from its ink; an optional refinement, so a failure keeps the text as read."""
    try:
        return respace_line(gray, polygon, text, glyphs)
    except Exception:  # noqa: BLE001 - never lose a page over a space
        log.warning("respacing a line failed; keeping the recogniser's spaces", exc_info=True)
        return text


def _glyphs_from_engine(entries: Any) -> list[Glyph]:
    """RapidOCR's per-line character results: ((char, score, polygon), ...); [] when a box is missing."""
    glyphs: list[Glyph] = []
    for entry in entries or ():
        try:
            char, _score, polygon = entry
            corners = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            return []
        if len(str(char)) != 1 or len(corners) == 0:
            return []
        glyphs.append(Glyph(text=str(char), center=(float(corners[:, 0].mean()), float(corners[:, 1].mean()))))
    return glyphs


#: RapidOCR's word mode also starts a new word where more than 5 recognition frames separate two
#: characters (a table row read as one line: "2016-08-20  2016-08-20  BC06216"). A frame is a
#: sixth of the line's height, so the same split is made here on the character boxes.
_WORD_BREAK_FRAMES = 5.5


def _words_from_glyphs(text: str, glyphs: list[Glyph], entries: Any, line_height: float) -> list[Word]:
    """Words of ``text`` (split at its spaces and at wide gaps), each boxed around its characters."""
    break_distance = _WORD_BREAK_FRAMES * line_height / 6.0
    words: list[Word] = []
    cursor = 0
    for token in text.split():
        if cursor + len(token) > len(glyphs):
            return []
        start = cursor
        for index in range(cursor + 1, cursor + len(token) + 1):
            if index == cursor + len(token) or glyphs[index].center[0] - glyphs[index - 1].center[0] > break_distance:
                chunk = entries[start:index]
                bbox = union_bbox([polygon_to_bbox(polygon) for _char, _score, polygon in chunk])
                confidence = float(np.mean([float(score) for _char, score, _polygon in chunk]))
                words.append(Word(text="".join(g.text for g in glyphs[start:index]), bbox=bbox, confidence=confidence))
                start = index
        cursor += len(token)
    return words if cursor == len(glyphs) else []


def _quad_height(polygon: Any) -> float:
    corners = np.asarray(polygon, dtype=np.float64).reshape(4, 2)
    return float(max(np.linalg.norm(corners[3] - corners[0]), np.linalg.norm(corners[2] - corners[1])))


def _package_version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return None


def is_available() -> bool:
    """RapidOCR ships its models in its wheel: importable means usable."""
    import importlib.util

    return importlib.util.find_spec("rapidocr") is not None and importlib.util.find_spec("onnxruntime") is not None
