"""A reader process: ``python -m extraction.reader`` (started by :mod:`extraction.concurrency`).

It builds one OCR engine and then loads and reads documents on request, one at a time, with
the worker's own ``Pipeline.read_document``; the worker does the extraction. Requests and
replies are pickled frames on stdin/stdout (the worker and its readers run the same code):

- ``{"op": "init", "ocr": NAME}`` -> ``{"ok": True, "load_s": ...}`` once the engine is built;
- ``{"op": "read", "doc_id", "data", "options", "password"}`` -> ``{"ok": True, "prepared": ...,
  "error": (code, message) | None, "rss_mb": ...}`` (an exception does not pickle with its code:
  sent apart; ``rss_mb``, the reader's resident memory after the document, lets the worker
  retire a reader that has grown too large);
- ``{"op": "close"}``, or the end of stdin, ends the process.
"""

from __future__ import annotations

import sys
import time
from typing import Any


def _lane(ocr_name: str) -> Any:
    from extraction.engines import build_ocr
    from extraction.pipeline import Pipeline
    from extraction.settings.limits import Limits

    return Pipeline(build_ocr(ocr_name), extractor=None, limits=Limits.from_env())


def serve() -> int:
    from extraction.framing import protocol_streams, serve_requests
    from extraction.memory import release_freed_memory, resident_mb

    requests, replies = protocol_streams()
    from extraction.logs import setup_logging

    setup_logging()
    lane: Any = None

    def init(request: dict) -> dict:
        nonlocal lane
        started = time.perf_counter()
        lane = _lane(request["ocr"])
        return {"ok": True, "load_s": time.perf_counter() - started}

    def read(request: dict) -> dict:
        if lane is None:
            raise RuntimeError("read before init")
        prepared = lane.read_document(request["doc_id"], request["data"], request["options"], request["password"])
        error, prepared.error = prepared.error, None
        release_freed_memory()  # before measuring: the worker retires readers by what they really hold
        reply = {"ok": True, "prepared": prepared, "error": None if error is None else (error.code.value, error.message)}
        return {**reply, "rss_mb": resident_mb()}

    return serve_requests({"init": init, "read": read}, requests, replies)


if __name__ == "__main__":
    sys.exit(serve())
