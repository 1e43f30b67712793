"""GPU OCR engine: PaddleOCR 3.x (PP-OCRv5 detection + recognition) with models from the model cache.

Every sub-model gets its local directory from :mod:`model_cache` together with its model
name (an unset directory makes PaddleOCR try to download, which fails offline; a name that
does not match the directory raises). Document orientation and unwarping stay off: receipts
and invoices arrive upright far more often than not, and both add latency.

Where and how Paddle runs comes from :class:`~extraction.settings.paddle.PaddleSettings`
(``PADDLE_DEVICE``, ``PADDLE_MODE``, ``PADDLE_ENGINE``, ``PADDLE_CPU_THREADS``...). With
``PADDLE_MODE=subprocess`` Paddle lives in a child process (``PADDLE_PYTHON`` may name another
virtualenv's interpreter), so its CUDA libraries never meet torch/vLLM's; the GPU image does
that. On a GPU device PaddleX's silent fallback to the CPU is turned off
(``PADDLE_PDX_DISABLE_DEVICE_FALLBACK``): a broken CUDA setup fails start-up instead of
making every page many times slower.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import model_cache
from extraction.settings import load_settings
from extraction.settings.paddle import PaddleSettings
from extraction.layout import Line, polygon_to_bbox, sort_reading_order, split_line_into_words
from extraction.ocr.paddle_worker import predict_plain, read_frame, write_frame

log = logging.getLogger(__name__)

#: model-cache names of the sub-models, in the order PaddleOCR takes them.
DET, REC, TEXTLINE_ORI = "paddle-det", "paddle-rec", "paddle-textline-ori"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def paddle_settings() -> PaddleSettings:
    return load_settings(PaddleSettings)


def use_textline_orientation() -> bool:
    return paddle_settings().use_textline_orientation


def required_models() -> list[str]:
    return [DET, REC] + ([TEXTLINE_ORI] if use_textline_orientation() else [])


def mode() -> str:
    return paddle_settings().mode


def resolve_device(value: str | None = None) -> str:
    """``auto`` -> ``gpu:0`` when an NVIDIA device is visible (no CUDA library is loaded to check)."""
    device = (value or paddle_settings().device).strip().lower()
    if device != "auto":
        return device
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1")
    return "gpu:0" if Path("/dev/nvidia0").exists() and not hidden else "cpu"


def is_available() -> bool:
    """Cheap: Paddle importable (or a separate interpreter configured) and the models on disk."""
    settings = paddle_settings()
    if settings.mode == "subprocess" and settings.python:
        runnable = Path(settings.python).exists()
    else:
        runnable = importlib.util.find_spec("paddleocr") is not None
    return runnable and all(model_cache.locate(name) is not None for name in required_models())


def build_kwargs(device: str, model_dirs: dict[str, Path], settings: PaddleSettings | None = None) -> dict[str, Any]:
    """The ``PaddleOCR(...)`` arguments: every sub-model by name *and* local directory."""
    settings = settings or paddle_settings()
    det, rec = model_cache.get_spec(DET), model_cache.get_spec(REC)
    kwargs: dict[str, Any] = {
        "text_detection_model_name": det.model_name,
        "text_detection_model_dir": str(model_dirs[DET]),
        "text_recognition_model_name": rec.model_name,
        "text_recognition_model_dir": str(model_dirs[REC]),
        "use_doc_orientation_classify": False,
        "use_doc_unwarping": False,
        "use_textline_orientation": TEXTLINE_ORI in model_dirs,
        "device": device,
    }
    if TEXTLINE_ORI in model_dirs:
        kwargs["textline_orientation_model_name"] = model_cache.get_spec(TEXTLINE_ORI).model_name
        kwargs["textline_orientation_model_dir"] = str(model_dirs[TEXTLINE_ORI])
    if settings.engine != "paddle":  # PaddleOCR's default engine is Paddle Inference
        kwargs["engine"] = settings.engine
    optional = {
        "cpu_threads": settings.cpu_threads,
        "enable_mkldnn": settings.enable_mkldnn,
        "text_det_limit_side_len": settings.det_limit_side_len,
        "text_det_limit_type": settings.det_limit_type,
        "text_rec_score_thresh": settings.text_rec_score_thresh,
    }
    kwargs.update({key: value for key, value in optional.items() if value is not None})
    return kwargs


#: Set in Paddle's process before it is imported: no hub connectivity probe at import.
PADDLE_ENV = {"PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True"}


def paddle_env(device: str) -> dict[str, str]:
    """Environment for Paddle's process; on a GPU, no silent fallback to the CPU."""
    env = dict(PADDLE_ENV)
    if device.startswith("gpu"):
        env["PADDLE_PDX_DISABLE_DEVICE_FALLBACK"] = "True"
    return env


def lines_from_result(page: dict[str, list]) -> list[Line]:
    """Plain page result (see ``paddle_worker.result_to_plain``) -> lines with word boxes, reading order."""
    texts, scores = page.get("rec_texts", []), page.get("rec_scores", [])
    polys, boxes = page.get("rec_polys", []), page.get("rec_boxes", [])
    lines: list[Line] = []
    for index, raw in enumerate(texts):
        text = " ".join(str(raw).split())
        if not text:
            continue
        score = float(scores[index]) if index < len(scores) else 0.0
        if index < len(polys) and len(polys[index]) >= 3:
            bbox = polygon_to_bbox(polys[index])
        elif index < len(boxes) and len(boxes[index]) == 4:
            bbox = tuple(float(v) for v in boxes[index])  # type: ignore[assignment]
        else:
            continue  # a text without a location cannot be placed on the page
        lines.append(Line(text=text, bbox=bbox, confidence=score, words=split_line_into_words(text, bbox, score)))
    return sort_reading_order(lines)


class _ChildPaddle:
    """PaddleOCR in a child process; one request at a time (the engine is not thread-safe)."""

    def __init__(self, kwargs: dict[str, Any], python: str | None = None, env_extra: dict[str, str] | None = None) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        self._proc = subprocess.Popen(
            [python or sys.executable, "-m", "extraction.ocr.paddle_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._lock = threading.Lock()
        reply = self._call({"op": "init", "kwargs": kwargs, "env": env_extra or PADDLE_ENV})
        self.load_s = float(reply.get("load_s", 0.0))
        self.versions = reply.get("versions", {})

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the Paddle process exited with code {self._proc.returncode}")
            assert self._proc.stdin is not None and self._proc.stdout is not None
            try:
                write_frame(self._proc.stdin, message)
                reply = read_frame(self._proc.stdout)
            except (EOFError, BrokenPipeError) as exc:
                raise RuntimeError(f"the Paddle process died ({exc}); see its stderr in the worker log") from None
        if not reply.get("ok"):
            raise RuntimeError(f"PaddleOCR failed: {reply.get('error')}")
        return reply

    def predict(self, image_bgr: np.ndarray) -> list[dict[str, list]]:
        return self._call({"op": "predict", "shape": image_bgr.shape, "data": image_bgr.tobytes()})["result"]

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._call({"op": "close"})
                self._proc.wait(timeout=10)
            except Exception:
                self._proc.kill()


class PaddleOcrEngine:
    """PaddleOCR wrapped to the :class:`~extraction.ocr.base.OcrEngine` interface."""

    name = "paddle"

    def __init__(self, device: str | None = None, run_mode: str | None = None) -> None:
        started = time.perf_counter()
        settings = paddle_settings()
        self.device = resolve_device(device or settings.device)
        self.mode = run_mode or settings.mode
        self.engine_kind = settings.engine
        model_dirs = {name: model_cache.ensure(name) for name in required_models()}
        models_done = time.perf_counter()
        self.kwargs = build_kwargs(self.device, model_dirs, settings)
        env = paddle_env(self.device)
        self._child: _ChildPaddle | None = None
        self._engine: Any = None
        self._paddle_thread: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        if self.mode == "subprocess":
            self._child = _ChildPaddle(self.kwargs, settings.python, env)
            self.versions = self._child.versions
        else:
            for key, value in env.items():
                os.environ.setdefault(key, value)
            # One thread for everything Paddle does in this process: PaddleOCR 3.7 on paddlepaddle
            # 3.2 (CPU) fails intermittently with "RuntimeError: std::exception" when predict()
            # runs on another thread than the one that built it, and the pipeline calls OCR from
            # a fresh thread per page (for its time budget).
            self._paddle_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paddle")
            self._engine = self._paddle_thread.submit(_build_paddleocr, self.kwargs).result()
            self.versions = {"paddleocr": _package_version("paddleocr")}
        self.models_s = models_done - started
        self.load_s = time.perf_counter() - models_done
        log.info(
            "paddle ready (%s, %s): models %.2fs, load %.2fs", self.mode, self.device, self.models_s, self.load_s
        )

    def recognize(self, image: Image.Image) -> list[Line]:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        bgr = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])  # PaddleX reads arrays as OpenCV BGR
        if self._child is not None:
            pages = self._child.predict(bgr)
        else:
            with self._lock:
                pages = self._paddle_thread.submit(predict_plain, self._engine, bgr).result()
        return [line for page in pages for line in lines_from_result(page)]

    def describe(self) -> dict[str, Any]:
        models = model_cache.timings()
        return {
            "name": self.name,
            "device": self.device,
            "mode": self.mode,
            "engine": self.engine_kind,
            "cpu_threads": self.kwargs.get("cpu_threads"),
            "versions": self.versions,
            "models": {n: self.kwargs.get(k) for n, k in (("det", "text_detection_model_name"), ("rec", "text_recognition_model_name"))},
            "model_cache": {name: models[name] for name in required_models() if name in models},
            "models_ms": round(self.models_s * 1000, 1),
            "load_ms": round(self.load_s * 1000, 1),
        }

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
        if self._paddle_thread is not None:
            self._paddle_thread.shutdown(wait=False)


def _build_paddleocr(kwargs: dict[str, Any]) -> Any:
    from paddleocr import PaddleOCR  # imported here: CPU installs never load Paddle

    return PaddleOCR(**kwargs)


def _package_version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return None
