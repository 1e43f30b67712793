"""RapidOCR's detector, classifier and recogniser running on :mod:`extraction.ocr.runtimes`.

RapidOCR builds each sub-model's session inside the component's constructor, from its own
session classes; these subclasses take ours instead (OpenVINO with a chosen precision and its
compiled-model cache, or ONNX Runtime) and keep RapidOCR's pre- and post-processing. They set
the same attributes as RapidOCR 3.x's constructors (``tests/test_ocr_runtimes.py`` checks the
output is the same as RapidOCR's own on ONNX Runtime, so an upgrade that changes them fails
there). The detector also sizes its input from the page's shape (:func:`detector_scale`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from extraction.ocr.runtimes import SessionOptions, open_session

log = logging.getLogger(__name__)


def detector_scale(height: int, width: int, long_side: int, min_short_side: int) -> float:
    """The factor a page is resized by for text detection.

    The long side is capped at ``long_side`` (cost grows with pixels), but never so far that the
    short side falls below ``min_short_side``: on a tall receipt (900 x 3400 px) the cap alone
    would leave it 340 px wide and its text a few pixels high. Never enlarges the page.
    """
    scale = min(1.0, long_side / max(height, width, 1))
    if min_short_side > 0:
        scale = max(scale, min(1.0, min_short_side / max(min(height, width), 1)))
    return scale


def model_file(cfg: Any) -> Path:
    """The ONNX file of a sub-model: its ``model_path``, else the one RapidOCR ships for its config.

    RapidOCR would download a model it does not ship; the worker runs offline, so a missing
    file is an error naming it.
    """
    from extraction.ocr.rapid_import import shipped_model_info

    explicit = cfg.get("model_path")
    if explicit:
        path = Path(str(explicit))
    else:
        info = shipped_model_info(cfg.ocr_version, cfg.task_type, cfg.lang_type, cfg.model_type)
        path = Path(str(cfg.model_root_dir)) / Path(str(info["model_dir"])).name
    if not path.is_file():
        raise FileNotFoundError(f"OCR model {path} not found (the rapidocr wheel ships its default models; check RAPIDOCR_REC_MODEL)")
    return path


def _detector_class() -> type:
    from rapidocr.ch_ppocr_det import TextDetector
    from rapidocr.ch_ppocr_det.utils import DBPostProcess, DetPreProcess

    class ShapeAwarePreProcess(DetPreProcess):
        """RapidOCR's detector input, resized by :func:`detector_scale` to a multiple of 32."""

        def __init__(self, long_side: int, min_short_side: int, mean: Any, std: Any) -> None:
            super().__init__(long_side, "max", mean, std)
            self.min_short_side = min_short_side

        def resize(self, img: np.ndarray) -> Optional[np.ndarray]:
            import cv2

            height, width = img.shape[:2]
            scale = detector_scale(height, width, self.limit_side_len, self.min_short_side)
            # RapidOCR's rounding, so that a page the short-side floor does not touch is sized as before
            size = (max(32, int(round(int(width * scale) / 32) * 32)), max(32, int(round(int(height * scale) / 32) * 32)))
            return cv2.resize(img, size)

    class Detector(TextDetector):
        def __init__(self, cfg: Any, session: Callable[[np.ndarray], np.ndarray], min_short_side: int) -> None:
            # TextDetector.__init__ without its session
            self.limit_side_len = cfg.get("limit_side_len")
            self.limit_type = cfg.get("limit_type")
            self.mean = cfg.get("mean")
            self.std = cfg.get("std")
            self.min_short_side = min_short_side
            self.preprocess_op = None
            self.postprocess_op = DBPostProcess(
                thresh=cfg.get("thresh", 0.3),
                box_thresh=cfg.get("box_thresh", 0.5),
                max_candidates=cfg.get("max_candidates", 1000),
                unclip_ratio=cfg.get("unclip_ratio", 1.6),
                use_dilation=cfg.get("use_dilation", True),
                score_mode=cfg.get("score_mode", "fast"),
            )
            self.session = session

        def get_preprocess(self) -> DetPreProcess:
            if self.limit_type == "max":
                return ShapeAwarePreProcess(self.limit_side_len, self.min_short_side, self.mean, self.std)
            return DetPreProcess(self.limit_side_len, self.limit_type, self.mean, self.std)

    return Detector


def _recognizer_class() -> type:
    from rapidocr.ch_ppocr_rec import TextRecognizer
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    class Recognizer(TextRecognizer):
        def __init__(self, cfg: Any, session: Any) -> None:
            # TextRecognizer.__init__ without its session; the characters come from the model
            if not session.have_key():
                raise ValueError(f"the recognition model {session.path} carries no character list")
            self.session = session
            self.postprocess_op = CTCLabelDecode(character=session.get_character_list(), character_path=None)
            self.rec_batch_num = cfg["rec_batch_num"]
            self.rec_image_shape = cfg["rec_img_shape"]
            self.cfg = cfg

    return Recognizer


def _classifier_class() -> type:
    from rapidocr.ch_ppocr_cls import TextClassifier
    from rapidocr.ch_ppocr_cls.main import CLS_SHAPE_BY_OCR_VERSION
    from rapidocr.ch_ppocr_cls.utils import ClsPostProcess

    class Classifier(TextClassifier):
        def __init__(self, cfg: Any, session: Any) -> None:
            self.cls_image_shape = CLS_SHAPE_BY_OCR_VERSION[cfg["ocr_version"]]
            self.cls_batch_num = cfg["cls_batch_num"]
            self.cls_thresh = cfg["cls_thresh"]
            self.postprocess_op = ClsPostProcess(cfg["label_list"])
            self.session = session

    return Classifier


def tuned_rapidocr_class(options: SessionOptions, min_short_side: int) -> type:
    """RapidOCR whose sub-models run on ``options``' runtime; they load on :meth:`load_models`
    (RapidOCR itself would load each on its first use, inside the first document)."""
    from extraction.ocr.rapid_import import import_rapidocr

    import_rapidocr()
    from rapidocr import RapidOCR

    detector, recognizer, classifier = _detector_class(), _recognizer_class(), _classifier_class()

    class TunedRapidOCR(RapidOCR):
        session_options = options

        def _component(self, section: str, build: Callable[[Any, Any], Any]) -> Any:
            cfg = getattr(self.cfg, section)
            cfg.model_root_dir = self.cfg.Global.model_root_dir
            cfg.font_path = self.cfg.Global.font_path
            return build(cfg, open_session(model_file(cfg), options))

        def _load_det_model(self) -> Any:
            with self._det_model_lock:
                if self.text_det is None:
                    self.text_det = self._component("Det", lambda cfg, s: detector(cfg, s, min_short_side))
            return self.text_det

        def _load_rec_model(self) -> Any:
            with self._rec_model_lock:
                if self.text_rec is None:
                    self.text_rec = self._component("Rec", recognizer)
            return self.text_rec

        def _load_cls_model(self) -> Any:
            with self._cls_model_lock:
                if self.text_cls is None:
                    self.text_cls = self._component("Cls", classifier)
            return self.text_cls

        def load_models(self) -> None:
            """Compile the sub-models now, the detector and recogniser side by side."""
            loaders = [self._load_det_model, self._load_rec_model] + ([self._load_cls_model] if self.use_cls else [])
            errors: list[BaseException] = []

            def run(load: Callable[[], Any]) -> None:
                try:
                    load()
                except BaseException as exc:  # noqa: BLE001 - re-raised below, in the caller's thread
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(load,), name="ocr-load") for load in loaders]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if errors:
                raise errors[0]

        def session_precision(self) -> Optional[str]:
            session = getattr(self.text_rec, "session", None)
            return getattr(session, "precision", None)

    return TunedRapidOCR
