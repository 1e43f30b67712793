"""The default questions per field and document type, read from ``questions.json``.

Data, not code: rewording a question (or switching to key names with TILT_QUESTION_STYLE=key)
must not need a code change. A document-type block overrides the "default" block.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Optional

QUESTIONS_FILE = Path(__file__).with_name("questions.json")


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, dict[str, dict[str, str]]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if "default" not in data:
        raise ValueError(f"{path}: needs a 'default' block")
    return {k: v for k, v in data.items() if not k.startswith("_")}


class QuestionSet:
    def __init__(self, path: Optional[Path] = None, style: str = "question") -> None:
        self.path = Path(path) if path else QUESTIONS_FILE
        self.style = style
        self._data = _load(str(self.path))

    @property
    def document_types(self) -> list[str]:
        return [k for k in self._data if k != "default"]

    def fields(self) -> set[str]:
        return {name for block in self._data.values() for name in block}

    def for_document(self, document_type: Optional[str]) -> dict[str, str]:
        """field -> text to send, for one document type (unknown types use "default")."""
        merged = dict(self._data["default"])
        if document_type and document_type in self._data:
            merged.update(self._data[document_type])
        out: dict[str, str] = {}
        for name, entry in merged.items():
            text = entry.get(self.style) or entry.get("question") or entry.get("key")
            if text:
                out[name] = text
        return out
