"""A reader process: ``python -m extraction.reader`` (started by :mod:`extraction.concurrency`).

It builds one OCR engine and then loads and reads documents on request, one at a time, with
the worker's own ``Pipeline.read_document``; the worker does the extraction. Requests and
replies are pickled frames on stdin/stdout (the worker and its readers run the same code):

- ``{"op": "init", "ocr": NAME}`` -> ``{"ok": True, "load_s": ...}`` once the engine is built;
- ``{"op": "read", "doc_id", "data", "options", "password"}`` -> ``{"ok": True, "prepared": ...,
  "error": (code, message) | None}`` (an exception does not pickle with its code: sent apart);
- ``{"op": "close"}``, or the end of stdin, ends the process.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def _lane(ocr_name: str) -> Any:
    from extraction.engines import build_ocr
    from extraction.pipeline import Pipeline
    from extraction.settings.limits import Limits

    return Pipeline(build_ocr(ocr_name), extractor=None, limits=Limits.from_env())


def serve() -> int:
    from extraction.ocr.paddle_worker import read_frame, write_frame

    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # libraries print to stdout: keep it off the protocol
    requests = sys.stdin.buffer
    from extraction.logs import setup_logging

    setup_logging()
    lane = None
    while True:
        try:
            request = read_frame(requests)
        except EOFError:
            return 0
        op = request.get("op")
        try:
            if op == "init":
                started = time.perf_counter()
                lane = _lane(request["ocr"])
                write_frame(replies, {"ok": True, "load_s": time.perf_counter() - started})
            elif op == "read":
                if lane is None:
                    raise RuntimeError("read before init")
                prepared = lane.read_document(request["doc_id"], request["data"], request["options"], request["password"])
                error, prepared.error = prepared.error, None
                write_frame(
                    replies, {"ok": True, "prepared": prepared, "error": None if error is None else (error.code.value, error.message)}
                )
            elif op == "close":
                return 0
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as exc:  # noqa: BLE001 - reported to the worker, which makes it the document's error
            write_frame(replies, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    sys.exit(serve())
