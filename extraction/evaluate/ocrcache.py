"""An on-disk cache around an OCR engine, so extraction changes can be re-scored in seconds.

OCR is by far the slowest stage on CPU and does not change when rules or prompts do. With
``--ocr-cache DIR`` every page image is looked up by the hash of its pixels and the engine's
settings; a hit replays the stored lines instead of running the engine. Everything after OCR
runs unchanged. The ``ocr`` latency of a run with cache hits is therefore not the engine's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from extraction.layout import Line, Word


class CachedOcr:
    """Wraps an ``OcrEngine``; same ``name``/``recognize``/``describe``, plus hit/miss counts."""

    def __init__(self, engine: Any, directory: Path) -> None:
        self.engine = engine
        self.name = engine.name
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0
        settings = json.dumps(engine.describe(), sort_keys=True, default=str)
        self._salt = hashlib.sha256(f"{engine.name}\n{settings}".encode()).hexdigest()[:16]

    def __getattr__(self, attribute: str) -> Any:  # anything else the pipeline asks of the engine
        return getattr(self.engine, attribute)

    def describe(self) -> dict[str, Any]:
        return self.engine.describe()

    def _path(self, image: Any) -> Path:
        digest = hashlib.sha256()
        digest.update(f"{image.mode}:{image.size}".encode())
        digest.update(image.tobytes())
        return self.directory / self.name / self._salt / f"{digest.hexdigest()}.json"

    def recognize(self, image: Any) -> list[Line]:
        path = self._path(image)
        if path.is_file():
            try:
                lines = [_line(item) for item in json.loads(path.read_text(encoding="utf-8"))]
                self.hits += 1
                return lines
            except (ValueError, KeyError, TypeError):
                pass  # a damaged entry is recomputed
        lines = self.engine.recognize(image)
        self.misses += 1
        _write_atomic(path, json.dumps([_dump(line) for line in lines], ensure_ascii=False))
        return lines


def _dump(line: Line) -> dict[str, Any]:
    return {
        "text": line.text,
        "bbox": list(line.bbox),
        "confidence": line.confidence,
        "words": [{"text": w.text, "bbox": list(w.bbox), "confidence": w.confidence} for w in line.words],
    }


def _line(item: dict[str, Any]) -> Line:
    words = [Word(text=w["text"], bbox=tuple(w["bbox"]), confidence=w["confidence"]) for w in item["words"]]  # type: ignore[arg-type]
    return Line(text=item["text"], bbox=tuple(item["bbox"]), confidence=item["confidence"], words=words)  # type: ignore[arg-type]


def _write_atomic(path: Path, text: str) -> None:
    """Parallel workers may write the same entry: write aside, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
