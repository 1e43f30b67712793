"""CPU OCR engine: RapidOCR 3.x on ONNX Runtime, with the PP-OCR models its wheel ships.

Runs offline: the det/rec models are inside the ``rapidocr`` wheel, so no download happens.
Settings come from env (``extraction.settings.rapidocr``) so they can be tuned without code changes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from PIL import Image

from extraction.layout import Line, Word, polygon_to_bbox, sort_reading_order, split_line_into_words, union_bbox
from extraction.ocr.spacing import Glyph, respace_line
from extraction.settings import load_settings
from extraction.settings.rapidocr import RapidOcrSettings

log = logging.getLogger(__name__)

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
}

def rapidocr_params(settings: RapidOcrSettings) -> dict[str, Any]:
    """The ``RapidOCR(params=...)`` dictionary for ``settings`` (our defaults and why: ``RapidOcrSettings``)."""
    params: dict[str, Any] = {"Global.log_level": "warning"}
    for field, key in _PARAM_KEYS.items():
        value = getattr(settings, field)
        if value is not None:
            params[key] = value
    return params


def params_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The RapidOCR parameters from ``environ`` (default ``os.environ``); bad values raise ``SettingsError``."""
    return rapidocr_params(load_settings(RapidOcrSettings, environ))


class RapidOcrEngine:
    """RapidOCR wrapped to the :class:`~extraction.ocr.base.OcrEngine` interface."""

    name = "rapidocr"

    def __init__(self, params: dict[str, Any] | None = None, settings: RapidOcrSettings | None = None) -> None:
        from rapidocr import RapidOCR  # imported here: only the engine that is used pays for it

        started = time.perf_counter()
        settings = settings if settings is not None else load_settings(RapidOcrSettings)
        self.params = rapidocr_params(settings) if params is None else {"Global.log_level": "warning", **params}
        self.word_boxes = settings.word_boxes
        self.respace = self.word_boxes and settings.respace
        self.crop_pad = settings.crop_pad
        engine_class = _padded_engine_class(RapidOCR, self.crop_pad) if self.crop_pad > 0 else RapidOCR
        self._engine = engine_class(params=self.params)
        self.load_seconds = time.perf_counter() - started
        log.info("rapidocr loaded in %.2fs with %s", self.load_seconds, self.params)

    def describe(self) -> dict[str, Any]:
        import rapidocr

        return {
            "name": self.name,
            "version": getattr(rapidocr, "__version__", None) or _package_version("rapidocr"),
            "load_ms": round(self.load_seconds * 1000, 1),
            "params": {k: v for k, v in self.params.items() if k != "Global.log_level"},
            "word_boxes": self.word_boxes,
            "respace": self.respace,
            **({"crop_pad": self.crop_pad} if self.crop_pad > 0 else {}),  # absent at the default: caches stay valid
        }

    def recognize(self, image: Image.Image) -> list[Line]:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])  # RapidOCR expects OpenCV's BGR order
        # Character boxes (not word boxes): they locate each comma, so its space can be checked.
        result = self._engine(bgr, return_word_box=self.word_boxes, return_single_char_box=self.word_boxes)
        if result is None or not getattr(result, "txts", None):
            return []
        word_results = getattr(result, "word_results", None) or ()
        gray = rgb.convert("L") if self.respace else None
        lines: list[Line] = []
        for index, (text, score, polygon) in enumerate(zip(result.txts, result.scores, result.boxes)):
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
