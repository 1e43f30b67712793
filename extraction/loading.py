"""Engines built in the background while the worker starts taking jobs.

Why: building the CPU engines (RapidOCR's sessions, the extractor's models) takes a few seconds
of a cold start. Built in a thread, they load while the worker registers with the queue and its
first job's documents download; the first job waits for them where it first uses them. The
worker is *ready* sooner; the first result is not delayed by more than the build itself.

Only CPU engines load this way: the GPU stacks (vLLM, Paddle) expect to be set up from the main
thread, and their start-up is dominated by the GPU anyway.

A build that fails does not fail silently: every use of the engine raises
:class:`~extraction.errors.FatalWorkerError` naming the cause, so the job's documents get
``worker_failed`` and the worker asks to be replaced.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Optional

from extraction.errors import FatalWorkerError

log = logging.getLogger(__name__)


class EngineLoadError(FatalWorkerError):
    """An engine that was loading in the background could not be built."""


class LoadingEngine:
    """Stands for an engine being built by ``build`` in a background thread.

    ``name`` is known at once (the registry's name); any other attribute waits for the build
    and is the engine's own. ``after(engine)`` is part of the load: it runs in the loading
    thread before anyone can use the engine.
    """

    def __init__(self, name: str, build: Callable[[], Any], after: Optional[Callable[[Any], None]] = None) -> None:
        self.name = name
        self.load_ms: Optional[float] = None
        self._engine: Any = None
        self._error: Optional[BaseException] = None
        self._done = threading.Event()
        self._callbacks: list[Callable[[Any], None]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(build, after), name=f"load-{name}", daemon=True)
        self._thread.start()

    def _run(self, build: Callable[[], Any], after: Optional[Callable[[Any], None]]) -> None:
        started = time.perf_counter()
        try:
            self._engine = build()
            self.load_ms = round((time.perf_counter() - started) * 1000.0, 1)
            if after is not None:
                after(self._engine)
        except BaseException as exc:  # noqa: BLE001 - kept and raised on every use
            self._error = exc
            log.error("the %s engine could not be built: %s: %s", self.name, type(exc).__name__, exc)
        with self._lock:
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        if self._error is None:
            for callback in callbacks:
                self._call(callback)

    def _call(self, callback: Callable[[Any], None]) -> None:
        try:
            callback(self._engine)
        except Exception:  # noqa: BLE001 - a follow-up step must not lose the engine
            log.exception("a step after loading the %s engine failed", self.name)

    @property
    def loaded(self) -> bool:
        return self._done.is_set()

    def when_loaded(self, callback: Callable[[Any], None]) -> None:
        """Run ``callback(engine)`` once built (now, here, if it already is); never after a failed build."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        if self._error is None:
            self._call(callback)

    def wait(self) -> Any:
        """The engine, once built; raises :class:`EngineLoadError` if the build failed."""
        self._done.wait()
        if self._error is not None:
            raise EngineLoadError(f"the {self.name} engine could not be loaded ({type(self._error).__name__}: {self._error})") from self._error
        return self._engine

    def describe(self) -> dict[str, Any]:
        """The engine's own description; a build that failed is described, not raised (a job's
        output still names its engines)."""
        self._done.wait()
        if self._error is not None:
            return {"name": self.name, "error": f"not loaded: {type(self._error).__name__}: {self._error}"}
        return self._engine.describe()

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # copy/pickle probes: not the engine's
            raise AttributeError(attribute)
        return getattr(self.wait(), attribute)


def engine_of(engine: Any) -> Any:
    """The engine itself, waiting for it if it is still loading."""
    return engine.wait() if isinstance(engine, LoadingEngine) else engine


def load_in_background(ocr: Optional[str], extractor: Optional[str], startup_ms: dict[str, float]) -> Optional[tuple[LoadingEngine, LoadingEngine]]:
    """The OCR engine and extractor chosen by name or settings, each loading in a thread of its
    own; None when either runs on the GPU (built in the main thread, as before). ``startup_ms``
    gets each engine's build time once it is built."""
    from extraction.engines import EXTRACTORS, OCR_ENGINES, build, resolve

    ocr_name = resolve("OCR", ocr, OCR_ENGINES, "OCR_ENGINE")
    extractor_name = resolve("extractor", extractor, EXTRACTORS, "EXTRACTOR")
    if OCR_ENGINES[ocr_name].gpu or EXTRACTORS[extractor_name].gpu:
        return None

    def recorder(key: str) -> Callable[[Any], None]:
        def record(engine: Any) -> None:
            startup_ms[key] = round((time.perf_counter() - started) * 1000.0, 1)
            startup_ms["total"] = max(startup_ms.get("total", 0.0), startup_ms[key])

        return record

    started = time.perf_counter()
    return (
        LoadingEngine(ocr_name, lambda: build(ocr_name, OCR_ENGINES), after=recorder("ocr")),
        LoadingEngine(extractor_name, lambda: build(extractor_name, EXTRACTORS), after=recorder("extractor")),
    )
