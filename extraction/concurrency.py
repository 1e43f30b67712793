"""Reading the documents of one job on every core: a pool of reader processes.

A reader process (``python -m extraction.reader``) loads and OCRs one document at a time with
the worker's own code (``Pipeline.read_document``: limits, page budget, errors) and sends back
its words; extraction stays in the worker, batched as before. Each reader builds its own OCR
engine with its share of the cores as inference threads, so N readers on N cores do not fight
over them. Why processes and not threads: see :mod:`extraction.settings.concurrency`.

- Order: results come back in input order, whatever order the readers finish in; at most
  ``2 x readers`` documents are in flight, so memory stays bounded on a 1000-document job.
- Isolation: a reader serves one document at a time, so a document that kills its reader (a
  crash in native code, the kernel's OOM killer) or outlives its budget is known exactly: it
  gets ``ocr_failed`` or ``timeout``, its reader is replaced, the others go on.
- Memory: a reader that has grown over ``READER_MAX_RSS_MB`` after a document is closed and a
  fresh one takes its place (off by default).
- Start: readers are separate interpreters (no fork of a process that already runs inference
  threads), started by :meth:`ReaderPool.start` at worker start-up or by the first job with
  several documents. A reader that cannot start leaves its documents to the worker itself.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from extraction.errors import DocumentError, ErrorCode
from extraction.framing import read_frame, write_frame
from extraction.settings.concurrency import usable_cores

log = logging.getLogger(__name__)

#: Time a reader gets past the document's own budget before it is stopped.
GRACE_S = 15.0
#: Time a reader gets to import and build its engine.
START_TIMEOUT_S = 120.0
_PROJECT_ROOT = Path(__file__).resolve().parents[1]


class ReaderUnavailable(RuntimeError):
    """The reader process could not start or answer; its documents are read in the worker."""


class ReaderDied(RuntimeError):
    """The reader process ended while it read a document."""


class Reader:
    """One reader process: one request at a time, answered or not within its timeout."""

    def __init__(self, ocr_name: str, threads: int, command: Optional[list[str]] = None) -> None:
        env = dict(os.environ)
        env.setdefault("RAPIDOCR_THREADS", str(threads))
        env.setdefault("OMP_NUM_THREADS", str(threads))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            command or [sys.executable, "-m", "extraction.reader"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self._ready: Optional[bool] = None
        self.load_s: Optional[float] = None
        self.rss_mb: Optional[float] = None  # resident memory after its last document
        write_frame(self.process.stdin, {"op": "init", "ocr": ocr_name})  # type: ignore[arg-type]

    def _exchange(self, message: Optional[dict[str, Any]], timeout_s: float) -> dict[str, Any]:
        """Send ``message`` (None: only wait for the pending reply) and return the reply; a reader
        that does not answer in time is stopped (a hang in native code cannot hold the job)."""
        timer = threading.Timer(timeout_s, self.process.kill)
        timer.start()
        try:
            if message is not None:
                write_frame(self.process.stdin, message)  # type: ignore[arg-type]
            return read_frame(self.process.stdout)  # type: ignore[arg-type]
        except (EOFError, OSError, ValueError) as exc:
            raise ReaderDied(str(exc)) from None
        finally:
            timer.cancel()

    def wait_ready(self) -> None:
        if self._ready is None:
            try:
                reply = self._exchange(None, START_TIMEOUT_S)
            except ReaderDied as exc:
                reply = {"ok": False, "error": f"the reader process ended while starting ({exc})"}
            self._ready = bool(reply.get("ok"))
            self.load_s = reply.get("load_s")
            if not self._ready:
                log.error("a reader process could not start: %s", reply.get("error"))
        if not self._ready:
            raise ReaderUnavailable("the reader process is not available")

    def read(self, doc_id: str, data: bytes, options: Any, password: Optional[str], timeout_s: float) -> Any:
        """The document's prepared result (its error set when reading failed)."""
        self.wait_ready()
        started = time.perf_counter()
        request = {"op": "read", "doc_id": doc_id, "data": data, "options": options, "password": password}
        try:
            reply = self._exchange(request, timeout_s)
        except ReaderDied:
            if time.perf_counter() - started >= timeout_s:
                raise TimeoutError from None
            raise
        if not reply.get("ok"):
            raise RuntimeError(reply.get("error", "the reader failed"))
        prepared = reply["prepared"]
        self.rss_mb = reply.get("rss_mb")
        if reply.get("error") is not None:
            code, message = reply["error"]
            prepared.error = DocumentError(ErrorCode(code), message)
        return prepared

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Stop the process now and reap it (a killed reader may still look alive for a moment)."""
        self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.error("reader process %d did not end after being killed", self.process.pid)

    def close(self) -> None:
        if self.alive:
            try:
                write_frame(self.process.stdin, {"op": "close"})  # type: ignore[arg-type]
                self.process.stdin.close()  # type: ignore[union-attr]
                self.process.wait(timeout=5)
            except Exception:  # noqa: BLE001 - it is going away either way
                self.process.kill()


class ReaderPool:
    """``readers`` reader processes running the OCR engine ``ocr_name``.

    ``fallback(prepared, data, options, password)`` reads a document in the worker when no
    reader can (they failed to start).
    """

    def __init__(
        self,
        readers: int,
        ocr_name: str = "rapidocr",
        timeout_s: float = 120.0,
        command: Optional[list[str]] = None,
        max_rss_mb: float = 0.0,
    ) -> None:
        self.readers = max(1, readers)
        self.max_rss_mb = max_rss_mb  # 0: readers are never retired for their memory
        self.ocr_name = ocr_name
        self.timeout_s = timeout_s
        self.command = command
        self.threads = max(1, usable_cores() // self.readers)
        self._idle: "queue.Queue[Reader]" = queue.Queue()
        self._started = False
        self._lock = threading.Lock()
        self._senders: Optional[ThreadPoolExecutor] = None
        self.replaced = 0  # readers replaced after a crash or a timeout
        self.retired = 0  # readers replaced because they had grown over max_rss_mb

    def start(self) -> None:
        """Start the readers now; they import and load in the background."""
        with self._lock:
            if not self._started:
                for _ in range(self.readers):
                    self._idle.put(self._new_reader())
                self._senders = ThreadPoolExecutor(max_workers=self.readers, thread_name_prefix="reader")
                self._started = True

    def _new_reader(self) -> Reader:
        return Reader(self.ocr_name, self.threads, self.command)

    def wait_ready(self) -> float:
        """Block until every reader has loaded its engine (benchmarks); the seconds it took."""
        self.start()
        started = time.perf_counter()
        readers = [self._idle.get() for _ in range(self.readers)]
        try:
            for reader in readers:
                reader.wait_ready()
        finally:
            for reader in readers:
                self._idle.put(reader)
        return time.perf_counter() - started

    def close(self) -> None:
        with self._lock:
            if self._senders is not None:
                self._senders.shutdown(wait=True)
            while not self._idle.empty():
                self._idle.get().close()
            self._started = False

    def read(
        self,
        items: Iterable[tuple[Any, Optional[bytes], Optional[str]]],
        options: Any,
        fallback: Callable[[Any, bytes, Any, Optional[str]], None],
    ) -> Iterator[Any]:
        """``(prepared, data, password)`` in, each document's prepared result out, in input order.

        ``data`` None: the document already failed (its ``prepared.error``) and passes through.
        """
        self.start()
        assert self._senders is not None
        window: deque[tuple[Any, Optional[Future]]] = deque()
        for prepared, data, password in items:
            future = None if data is None else self._senders.submit(self._read_one, prepared, data, options, password, fallback)
            window.append((prepared, future))
            while len(window) > 2 * self.readers:
                yield self._result(*window.popleft())
        while window:
            yield self._result(*window.popleft())

    @staticmethod
    def _result(prepared: Any, future: Optional[Future]) -> Any:
        return prepared if future is None else future.result()

    def _read_one(self, prepared: Any, data: bytes, options: Any, password: Optional[str], fallback: Callable[..., None]) -> Any:
        """Read one document on the next idle reader; every failure becomes this document's error."""
        reader = self._idle.get()
        broken = False  # the reader was stopped or died: it is replaced, never handed out again
        try:
            outcome = reader.read(prepared.doc_id, data, options, password, self.timeout_s + GRACE_S)
            outcome.timings_ms = {**prepared.timings_ms, **outcome.timings_ms}
            return outcome
        except ReaderUnavailable:
            fallback(prepared, data, options, password)
        except TimeoutError:
            broken = True
            log.error("document %s outlived its budget in a reader process; the reader is replaced", prepared.doc_id)
            prepared.error = DocumentError(ErrorCode.TIMEOUT, f"the document was not read within its {self.timeout_s:g}s budget")
        except ReaderDied:
            broken = True
            log.error("document %s stopped its reader process; the reader is replaced", prepared.doc_id)
            prepared.error = DocumentError(ErrorCode.OCR_FAILED, "reading the document stopped the OCR process; the document may be corrupt")
        except Exception as exc:  # noqa: BLE001 - one document's failure stays its own
            log.error("reading %s in a reader process failed: %s", prepared.doc_id, type(exc).__name__)
            prepared.error = DocumentError(ErrorCode.INTERNAL_ERROR, "unexpected error while reading the document")
        finally:
            if broken or (reader._ready and not reader.alive):
                reader.kill()
                self.replaced += 1
                self._idle.put(self._new_reader())
            elif self.max_rss_mb > 0 and reader.rss_mb is not None and reader.rss_mb > self.max_rss_mb:
                log.info("a reader process holds %.0f MB (over %.0f MB); it is replaced by a fresh one", reader.rss_mb, self.max_rss_mb)
                reader.close()
                self.retired += 1
                self._idle.put(self._new_reader())
            else:
                self._idle.put(reader)
        return prepared


def reader_pool_for(ocr_name: str, limits: Any) -> Optional[ReaderPool]:
    """Reader processes for the worker (``DOCUMENT_CONCURRENCY``), or None: one reader, or an
    OCR engine on the GPU (each reader would load its own copy of the model)."""
    from extraction.engines import OCR_ENGINES
    from extraction.settings import load_settings
    from extraction.settings.concurrency import ConcurrencySettings

    settings = load_settings(ConcurrencySettings)
    readers = settings.readers()
    spec = OCR_ENGINES.get(ocr_name)
    if readers <= 1 or spec is None or spec.gpu:
        return None
    return ReaderPool(readers, ocr_name=ocr_name, timeout_s=limits.document_timeout_s, max_rss_mb=settings.reader_max_rss_mb)


def admit_documents(fetched: Iterable[tuple[int, Any, Optional[bytes], Optional[BaseException], float]], limits: Any) -> Iterator[tuple[Any, Any, Optional[bytes]]]:
    """Fetched documents with the job's own checks done: ``(prepared, doc, data)``, ``data``
    None once the document failed (download error, over the job's byte limit)."""
    from extraction.pipeline import _Prepared

    job_bytes = 0
    for index, doc, data, fetch_error, fetch_ms in fetched:
        prepared = _Prepared(doc_id=doc.id or f"document-{index + 1}")
        try:
            if fetch_error is not None:
                raise fetch_error
            assert data is not None
            prepared.timings_ms["fetch"] = fetch_ms
            job_bytes += len(data)
            if job_bytes > limits.max_job_bytes:
                raise DocumentError(ErrorCode.TOO_LARGE, f"the job is over its {limits.max_job_bytes} byte limit; split the job")
        except DocumentError as exc:
            prepared.error, data = exc, None
        except Exception:
            log.exception("unexpected error while fetching document %s", prepared.doc_id)
            prepared.error, data = DocumentError(ErrorCode.INTERNAL_ERROR, "unexpected error while reading the document"), None
        yield prepared, doc, data


def read_job_documents(pipeline: Any, fetched: Iterable[Any], options: Any, total: int) -> Iterator[tuple[Any, Any]]:
    """Every document of a job loaded and read, ``(prepared, doc)`` in input order: on the
    pipeline's reader processes when the job has several documents, else in this process."""
    readers = pipeline.readers if total > 1 and not pipeline.wants_page_images else None
    faults = getattr(pipeline, "faults", None)

    def stopped() -> bool:  # a fatal fault: the documents not reached are left to the caller
        return faults is not None and faults.reason is not None

    if readers is None:
        for prepared, doc, data in admit_documents(fetched, pipeline.limits):
            if stopped():
                return
            if data is not None:
                pipeline.read_prepared(prepared, data, options, doc.password)
            yield prepared, doc
        return
    docs: deque[Any] = deque()

    def items() -> Iterator[tuple[Any, Optional[bytes], Optional[str]]]:
        for prepared, doc, data in admit_documents(fetched, pipeline.limits):
            if stopped():
                return
            docs.append(doc)
            yield prepared, data, doc.password

    for prepared in readers.read(items(), options, fallback=pipeline.read_prepared):
        yield prepared, docs.popleft()
