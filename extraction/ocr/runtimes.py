"""Inference sessions for RapidOCR's ONNX models, on OpenVINO or ONNX Runtime.

Why our own sessions rather than RapidOCR's: its OpenVINO session cannot choose the arithmetic
precision or use OpenVINO's compiled-model cache, and neither of its sessions may be called
from two threads at once (an OpenVINO infer request is single-use at a time). These are
callable as ``session(batch) -> output`` and answer RapidOCR's ``have_key`` /
``get_character_list``, so RapidOCR's own pre- and post-processing run unchanged around them.

Measured on sroie-dev receipts (2-core Sapphire Rapids with AMX, shared with other jobs, same
images interleaved, ``benchmarks/compare_engines.py``): a receipt end to end took 0.39 of ONNX
Runtime's time on OpenVINO in bfloat16 and 0.49 in float32 (docs/speed.md).
"""

from __future__ import annotations

import importlib.util
import locale
import logging
import os
import queue
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Literal, Optional

import numpy as np

from extraction.ocr.onnx_meta import read_metadata

log = logging.getLogger(__name__)

Runtime = Literal["openvino", "onnxruntime"]
Precision = Literal["auto", "bf16", "f32"]


class RuntimeUnavailable(RuntimeError):
    """The runtime that was asked for is not installed."""


def openvino_available() -> bool:
    return importlib.util.find_spec("openvino") is not None


def resolve_runtime(choice: str) -> Runtime:
    """``auto`` -> OpenVINO when installed, else ONNX Runtime; an explicit choice must be installed."""
    if choice == "auto":
        return "openvino" if openvino_available() else "onnxruntime"
    if choice == "openvino" and not openvino_available():
        raise RuntimeUnavailable("RAPIDOCR_RUNTIME=openvino but the openvino package is not installed: pip install openvino")
    if choice not in ("openvino", "onnxruntime"):
        raise ValueError(f"unknown runtime {choice!r}")
    return choice  # type: ignore[return-value]


@dataclass(frozen=True)
class SessionOptions:
    """How every session of one engine runs."""

    runtime: Runtime
    threads: Optional[int] = None  # per inference; None: the runtime's own choice (all cores)
    precision: Precision = "f32"  # OpenVINO only; "auto": bf16 where the CPU computes it natively
    cache_dir: Optional[Path] = None  # OpenVINO's compiled-model cache
    det_runtime: Optional[Runtime] = None  # the detector's, where it differs from ``runtime``

    def for_detector(self) -> "SessionOptions":
        """These options with the detector's runtime."""
        if self.det_runtime is None or self.det_runtime == self.runtime:
            return self
        return replace(self, runtime=self.det_runtime, det_runtime=None)


class _Session:
    """What RapidOCR asks of a session besides running it: the model's character list."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._metadata: Optional[dict[str, str]] = None

    def _meta(self) -> dict[str, str]:
        if self._metadata is None:
            self._metadata = read_metadata(self.path)
        return self._metadata

    def have_key(self, key: str = "character") -> bool:
        return key in self._meta()

    def get_character_list(self, key: str = "character") -> list[str]:
        return self._meta()[key].splitlines()


class OrtSession(_Session):
    """ONNX Runtime, with RapidOCR's own session options (full graph optimisation, no memory arena)."""

    def __init__(self, path: Path, options: SessionOptions) -> None:
        super().__init__(path)
        import onnxruntime as ort

        settings = ort.SessionOptions()
        settings.log_severity_level = 4
        settings.enable_cpu_mem_arena = False  # the arena keeps the largest page's buffers for good
        settings.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if options.threads and options.threads > 0:
            settings.intra_op_num_threads = options.threads
            settings.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), sess_options=settings, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: batch})[0]  # thread-safe in ONNX Runtime


#: kernels (oneDNN primitives) OpenVINO's CPU plugin keeps compiled, process-wide; oneDNN's own
#: default is 1024. Every recogniser batch width and batch size is a new input shape with kernels
#: of its own, and they outlive the compiled model, so a process reading many receipts kept
#: growing between session rebuilds; 64 is a page's worth of shapes. Measured with
#: ``benchmarks/bench_memory.py`` (docs/speed.md): same fields, same seconds per receipt.
#: ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` set in the environment wins.
KERNEL_CACHE_CAPACITY = 64


def bound_kernel_cache(environ: Any = None) -> str:
    """Set oneDNN's kernel cache capacity unless the environment already does; the value in force.

    Must run before OpenVINO's CPU plugin starts (it reads the variable once)."""
    environ = os.environ if environ is None else environ
    return environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(KERNEL_CACHE_CAPACITY))


_CORE: Any = None
_CORE_LOCK = threading.Lock()
#: OpenVINO's ONNX reader sets the C locale while it parses and puts back what it found: two
#: compilations at once can leave the process in the C locale (ASCII as every file's default
#: encoding). Compilations therefore take turns, and the locale is put back after each.
_COMPILE_LOCK = threading.Lock()


def _openvino_core(cache_dir: Optional[Path]) -> Any:
    """One OpenVINO Core per process (it holds the CPU plugin), caching compiled models in ``cache_dir``."""
    global _CORE
    with _CORE_LOCK:
        if _CORE is None:
            bound_kernel_cache()
            import openvino

            _CORE = openvino.Core()
            if cache_dir is not None:
                try:
                    cache_dir.mkdir(parents=True, exist_ok=True)
                    _CORE.set_property({"CACHE_DIR": str(cache_dir)})
                except OSError as exc:  # a read-only volume: compile every time, a little slower to start
                    log.warning("OpenVINO model cache %s is not usable (%s); compiling without it", cache_dir, exc)
        return _CORE


class OpenVinoSession(_Session):
    """OpenVINO on the CPU: one compiled model, one infer request per concurrent caller."""

    def __init__(self, path: Path, options: SessionOptions) -> None:
        super().__init__(path)
        # no pinning: reader processes share the cores, and a pinned one would keep its first core
        config: dict[str, str] = {"PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": "NO"}
        if options.threads and options.threads > 0:
            config["INFERENCE_NUM_THREADS"] = str(options.threads)
        if options.precision != "auto":
            config["INFERENCE_PRECISION_HINT"] = options.precision
        core = _openvino_core(options.cache_dir)
        with _COMPILE_LOCK:
            saved = locale.setlocale(locale.LC_ALL)
            try:
                self._compiled = core.compile_model(str(path), "CPU", config)  # from the path: the cache applies
            finally:
                if locale.setlocale(locale.LC_ALL) != saved:
                    locale.setlocale(locale.LC_ALL, saved)
        self._idle: "queue.SimpleQueue[Any]" = queue.SimpleQueue()

    @property
    def precision(self) -> str:
        """The precision OpenVINO computes in (``bf16`` / ``f32``), after its own choice."""
        value = self._compiled.get_property("INFERENCE_PRECISION_HINT")
        name = value.get_type_name() if hasattr(value, "get_type_name") else str(value)
        return {"bf16": "bf16", "f32": "f32"}.get(name, name)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        try:
            request = self._idle.get_nowait()
        except queue.Empty:
            request = self._compiled.create_infer_request()
        try:
            request.infer([batch])
            return request.get_output_tensor().data.copy()  # the request's buffer is reused by its next run
        finally:
            self._idle.put(request)


SESSION_CLASSES: dict[str, Callable[[Path, SessionOptions], _Session]] = {
    "openvino": OpenVinoSession,
    "onnxruntime": OrtSession,
}


def open_session(path: Path, options: SessionOptions) -> _Session:
    return SESSION_CLASSES[options.runtime](path, options)
