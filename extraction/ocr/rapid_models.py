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
import time
import threading
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ShapeBuckets:
    """How the detector's and recogniser's inputs are padded to a few shapes (0 / False: as RapidOCR sizes them).

    Why: OpenVINO keeps buffers and kernels for every input shape it has run, so a reader that
    sees pages and line widths of many sizes keeps growing (``RapidOcrSettings.det_shape_step``).
    """

    det_step: int = 0
    rec_width_step: int = 0
    rec_full_batches: bool = False

    @property
    def active(self) -> bool:
        return self.det_step > 0 or self.rec_width_step > 0 or self.rec_full_batches


def round_up(value: int, step: int) -> int:
    """``value`` rounded up to a multiple of ``step`` (``step`` <= 0: unchanged)."""
    return value if step <= 0 else -(-value // step) * step


class PaddedDetectorSession:
    """A detector session whose input is padded with zeros on the bottom and right up to a
    multiple of ``step`` pixels; the padded rows and columns of its text map are cut off again.

    Zeros are what the network's own convolutions pad a page's border with (the input is
    normalised around zero), so the page's part of the map stays close to what it was, and the
    map handed on has the page's shape, so the boxes are scaled back exactly as before.
    """

    def __init__(self, session: Callable[[np.ndarray], np.ndarray], step: int) -> None:
        self.session = session
        self.step = step

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        height, width = batch.shape[-2:]
        padded_h, padded_w = round_up(height, self.step), round_up(width, self.step)
        if (padded_h, padded_w) == (height, width):
            return self.session(batch)
        padded = np.zeros(batch.shape[:-2] + (padded_h, padded_w), dtype=batch.dtype)
        padded[..., :height, :width] = batch
        return self.session(padded)[..., :height, :width]

    def __getattr__(self, name: str) -> Any:  # precision, path: the wrapped session's
        return getattr(self.session, name)


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
        buckets = ShapeBuckets()

        def __init__(self, cfg: Any, session: Any) -> None:
            # TextRecognizer.__init__ without its session; the characters come from the model
            if not session.have_key():
                raise ValueError(f"the recognition model {session.path} carries no character list")
            self.session = session
            self.postprocess_op = CTCLabelDecode(character=session.get_character_list(), character_path=None)
            self.rec_batch_num = cfg["rec_batch_num"]
            self.rec_image_shape = cfg["rec_img_shape"]
            self.cfg = cfg

        def __call__(self, args: Any) -> Any:
            """RapidOCR 3.x's ``TextRecognizer.__call__``: the same batches (lines sorted by width,
            ``rec_batch_num`` at a time), read widest batch first.

            Why widest first: OpenVINO keeps, per compiled model, the buffers of the largest input
            it has run and grows them for each wider one, so RapidOCR's narrowest-first order
            allocates again at every new width and the page's peak holds every step
            (``benchmarks/bench_memory.py``); after the widest batch every other one fits in what
            is already there. Each batch is read on its own, so the text is the same.

            With ``rec_width_step`` each batch is padded to a bucketed width (and, with
            ``rec_full_batches``, blank lines up to a full batch). Lines are only ever padded,
            never narrowed: a batch is as wide as its widest line rounded up, and the decoder is
            told that width (``max_wh_ratio``), so character positions are computed as RapidOCR
            computes them for a wider batch.
            """
            from rapidocr.ch_ppocr_rec.main import RTL_LANGS, normalize_lang, reorder_bidi_for_display
            from rapidocr.ch_ppocr_rec.typings import TextRecOutput
            from rapidocr.utils.vis_res import VisRes

            started = time.perf_counter()
            images = [args.img] if isinstance(args.img, np.ndarray) else args.img
            indices = np.argsort(np.array([img.shape[1] / float(img.shape[0]) for img in images]))
            results: list[Any] = [("", 0.0)] * len(images)
            channels, height, width = self.rec_image_shape[:3]
            step = self.buckets.rec_width_step
            for begin in reversed(range(0, len(images), self.rec_batch_num)):
                end = min(len(images), begin + self.rec_batch_num)
                ratios = [images[indices[i]].shape[1] * 1.0 / images[indices[i]].shape[0] for i in range(begin, end)]
                max_ratio = max([width / height, *ratios])  # RapidOCR's own, unrounded, without a step
                batch_width = round_up(int(height * max_ratio), step)
                if step > 0:
                    max_ratio = batch_width / height
                batch = np.zeros(
                    (self.rec_batch_num if self.buckets.rec_full_batches else end - begin, channels, height, batch_width), dtype=np.float32
                )
                for row, i in enumerate(range(begin, end)):
                    line = self.resize_norm_img(images[indices[i]], max_ratio)
                    batch[row, :, :, : line.shape[2]] = line[:, :, :batch_width]
                preds = self.session(batch)[: end - begin]
                line_results, word_results = self.postprocess_op(
                    preds, args.return_word_box, wh_ratio_list=ratios, max_wh_ratio=max_ratio
                )
                for row, line_result in enumerate(line_results):
                    results[indices[begin + row]] = (line_result, word_results[row] if args.return_word_box else None)
            line_results, all_word_results = list(zip(*results)) if results else ((), ())
            texts, scores = list(zip(*line_results)) if line_results else ((), ())
            if normalize_lang(self.cfg.lang_type) in RTL_LANGS:
                texts = reorder_bidi_for_display(texts)
            return TextRecOutput(
                images, texts, scores, all_word_results, time.perf_counter() - started,
                viser=VisRes(lang_type=self.cfg.lang_type, font_path=self.cfg.font_path),
            )

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


def tuned_rapidocr_class(options: SessionOptions, min_short_side: int, buckets: ShapeBuckets = ShapeBuckets()) -> type:
    """RapidOCR whose sub-models run on ``options``' runtime; they load on :meth:`load_models`
    (RapidOCR itself would load each on its first use, inside the first document)."""
    from extraction.ocr.rapid_import import import_rapidocr

    import_rapidocr()
    from rapidocr import RapidOCR

    detector, recognizer, classifier = _detector_class(), _recognizer_class(), _classifier_class()
    recognizer = type("Recognizer", (recognizer,), {"buckets": buckets})
    det_step = buckets.det_step

    def build_detector(cfg: Any, session: Any) -> Any:
        return detector(cfg, PaddedDetectorSession(session, det_step) if det_step > 0 else session, min_short_side)

    class TunedRapidOCR(RapidOCR):
        session_options = options

        def _component(self, section: str, build: Callable[[Any, Any], Any]) -> Any:
            cfg = getattr(self.cfg, section)
            cfg.model_root_dir = self.cfg.Global.model_root_dir
            cfg.font_path = self.cfg.Global.font_path
            return build(cfg, open_session(model_file(cfg), options.for_detector() if section == "Det" else options))

        def _load_det_model(self) -> Any:
            with self._det_model_lock:
                if self.text_det is None:
                    self.text_det = self._component("Det", build_detector)
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
