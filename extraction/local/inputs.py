"""What to read: files, folders, glob patterns, raw bytes or standard input, as documents with ids.

Ids are the paths as reached from the argument (``invoices/2024/a.pdf``), the same ids
``extract-batch`` gives, so results from the local command and from the endpoint line up.
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from extraction.batch_client.inputs import local_documents

#: Characters that make an argument a glob pattern (when no file has that exact name).
GLOB_CHARACTERS = frozenset("*?[")
STDIN = "-"

Source = Union[str, os.PathLike, bytes, bytearray, memoryview]


@dataclass(frozen=True)
class LocalDocument:
    """One document to extract: a file (read when its turn comes) or bytes already in memory."""

    id: str
    path: Optional[Path] = None
    data: Optional[bytes] = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


def is_single(source: Any) -> bool:
    """True when ``source`` names exactly one document (bytes, or a path that is a file)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return True
    if isinstance(source, (str, os.PathLike)):
        return Path(source).is_file() or str(source) == STDIN
    return False


def _expand_pattern(pattern: str) -> list[str]:
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise FileNotFoundError(f"no file matches {pattern!r}")
    return matches


def collect(sources: Iterable[Source], stdin: Optional[Any] = None) -> list[LocalDocument]:
    """Documents for ``sources``, in order: files as given, folders walked (document types only,
    hidden entries skipped), patterns expanded, bytes kept, ``-`` read from ``stdin``.

    Raises :class:`FileNotFoundError` naming an argument that matches nothing.
    """
    found: list[LocalDocument] = []
    paths: list[str] = []

    def flush_paths() -> None:
        if paths:
            found.extend(LocalDocument(id=doc.id, path=doc.path) for doc in local_documents(paths))
            paths.clear()

    for position, source in enumerate(sources, start=1):
        if isinstance(source, (bytes, bytearray, memoryview)):
            flush_paths()
            found.append(LocalDocument(id=f"document-{position}", data=bytes(source)))
            continue
        if not isinstance(source, (str, os.PathLike)):
            raise TypeError(f"a document is a path or bytes, got {type(source).__name__}")
        text = os.fspath(source)
        if text == STDIN:
            flush_paths()
            reader = stdin if stdin is not None else sys.stdin.buffer
            found.append(LocalDocument(id="stdin", data=reader.read()))
        elif not Path(text).exists() and GLOB_CHARACTERS & set(text):
            paths.extend(_expand_pattern(text))
        elif not Path(text).exists():
            raise FileNotFoundError(f"no such file or folder: {text}")
        else:
            paths.append(text)
    flush_paths()
    unique: dict[str, LocalDocument] = {}
    for doc in found:
        unique.setdefault(doc.id, doc)  # a file named twice is extracted once
    return list(unique.values())
