"""PaddleOCR results as plain data, and a child process that runs PaddleOCR on request.

Why a child process: Paddle's GPU wheels bring their own CUDA libraries (and pin other
versions of the same ``nvidia-*`` wheels than torch 2.6), so Paddle and torch/vLLM do not
belong in one process, nor always in one environment. Run as
``python -m extraction.ocr.paddle_worker`` (possibly with another virtualenv's Python) it
speaks a tiny framed-pickle protocol over stdin/stdout, carrying only builtins and raw
bytes so both sides may have different numpy versions. This module imports only the
standard library and numpy at the top.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

from extraction.framing import protocol_streams, read_frame, serve_requests, write_frame

__all__ = ["PaddleResultError", "predict_plain", "read_frame", "result_to_plain", "serve", "write_frame"]


class PaddleResultError(RuntimeError):
    """PaddleX yielded ``{"error": ...}`` instead of a page result (e.g. invalid model settings)."""


def result_to_plain(result: Any) -> dict[str, list]:
    """One ``PaddleOCR.predict()`` page result -> lists of builtins (texts, scores, polygons, boxes).

    The result is dict-like (PaddleX ``OCRResult``); arrays become nested lists. PaddleX's
    pipelines yield a bare ``{"error": message}`` when they cannot run (``OCRPipeline.predict``
    does for invalid model settings): that is raised, not read as an empty page.
    """
    if isinstance(result, dict) and "error" in result and "rec_texts" not in result:
        raise PaddleResultError(f"PaddleOCR returned an error instead of a page: {result['error']}")

    def get(key: str) -> Any:
        try:
            value = result[key]
        except (KeyError, TypeError, IndexError):
            value = getattr(result, key, None)
        return [] if value is None else value

    def tolist(value: Any) -> Any:
        return value.tolist() if hasattr(value, "tolist") else value

    texts = [str(t) for t in tolist(get("rec_texts"))]
    scores = [float(s) for s in tolist(get("rec_scores"))]
    polys = [[[float(x), float(y)] for x, y in tolist(p)] for p in tolist(get("rec_polys"))]
    boxes = [[float(v) for v in tolist(b)] for b in tolist(get("rec_boxes"))]
    return {"rec_texts": texts, "rec_scores": scores, "rec_polys": polys, "rec_boxes": boxes}


def predict_plain(engine: Any, image_bgr: Any) -> list[dict[str, list]]:
    return [result_to_plain(page) for page in engine.predict(image_bgr)]


def serve() -> int:
    """Child main loop: ``init`` builds PaddleOCR, ``predict`` runs it, ``close`` ends (answered)."""
    requests, replies = protocol_streams()
    engine: Optional[Any] = None

    def init(request: dict) -> dict:
        nonlocal engine
        import time

        started = time.perf_counter()
        for key, value in request.get("env", {}).items():
            os.environ.setdefault(key, value)
        from paddleocr import PaddleOCR

        engine = PaddleOCR(**request["kwargs"])
        return {"ok": True, "load_s": time.perf_counter() - started, "versions": _versions()}

    def predict(request: dict) -> dict:
        import numpy as np

        if engine is None:
            raise RuntimeError("predict before init")
        image = np.frombuffer(request["data"], dtype=np.uint8).reshape(request["shape"])
        return {"ok": True, "result": predict_plain(engine, image)}

    return serve_requests({"init": init, "predict": predict}, requests, replies, close_reply={"ok": True})


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for package in ("paddleocr", "paddlex", "paddlepaddle", "paddlepaddle-gpu"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


if __name__ == "__main__":
    sys.exit(serve())
