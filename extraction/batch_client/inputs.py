"""What to send: local files and folders, or the objects under an ``s3://`` prefix."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

DOCUMENT_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif"})


@dataclass(frozen=True)
class BatchDocument:
    """One document of the batch: its id (stable across runs, used for resume) and its source."""

    id: str
    path: Optional[Path] = None
    url: Optional[str] = None
    size: int = 0

    @property
    def payload_bytes(self) -> int:
        """Roughly what this document adds to a /run request body."""
        if self.path is not None:
            return (self.size + 2) // 3 * 4 + len(self.id) + 64
        return len(self.url or "") + len(self.id) + 64

    def to_job_document(self) -> dict[str, Any]:
        """The job's ``documents[]`` entry; local files are read (and encoded) only now."""
        if self.path is not None:
            return {"id": self.id, "base64": base64.b64encode(self.path.read_bytes()).decode("ascii"), "filename": self.path.name}
        return {"id": self.id, "url": self.url}


def _is_document(name: str) -> bool:
    return not name.startswith(".") and Path(name).suffix.lower() in DOCUMENT_SUFFIXES


def local_documents(paths: Iterable[str]) -> list[BatchDocument]:
    """Files as given, folders walked recursively (document suffixes only, hidden entries skipped).

    The id is the path as reached from the argument (``invoices/2024/a.pdf``), in POSIX form,
    so the same command line gives the same ids on the next run.
    """
    found: list[BatchDocument] = []
    seen: set[str] = set()
    for arg in paths:
        root = Path(arg)
        if root.is_file():
            candidates = [root]
        elif root.is_dir():
            candidates = []
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                candidates.extend(Path(dirpath) / f for f in sorted(filenames) if _is_document(f))
        else:
            raise FileNotFoundError(f"no such file or folder: {arg}")
        for path in candidates:
            doc_id = path.as_posix()
            if doc_id not in seen:
                seen.add(doc_id)
                found.append(BatchDocument(id=doc_id, path=path, size=path.stat().st_size))
    return found


def s3_documents(url: str, s3_config: Optional[dict[str, Any]] = None, max_objects: int = 100_000) -> list[BatchDocument]:
    """Every document-like object under ``s3://bucket/prefix/`` (listed here, fetched by the worker)."""
    from extraction.remote.s3 import S3Config, list_prefix, make_client, parse_s3_url
    from extraction.settings.fetch import FetchSettings

    config = S3Config.from_job(s3_config)
    location = parse_s3_url(url, config.bucket_name if config else None)
    # The endpoint comes from the user's own environment here, not from a job: no address guard.
    settings = FetchSettings.from_env().model_copy(update={"allow_private": True, "allow_http": True})
    objects = list_prefix(make_client(config, settings), location, recursive=True, max_objects=max_objects)
    return [
        BatchDocument(id=obj.key, url=f"s3://{location.bucket}/{obj.key}", size=obj.size)
        for obj in objects
        if _is_document(obj.key.rsplit("/", 1)[-1])
    ]


def group_documents(documents: list[BatchDocument], batch_size: int, max_body_bytes: int) -> tuple[list[list[BatchDocument]], list[BatchDocument]]:
    """Consecutive groups of at most ``batch_size`` documents whose request body stays under the cap.

    Returns the groups and the documents too big to send inline at all.
    """
    groups: list[list[BatchDocument]] = []
    too_big: list[BatchDocument] = []
    current: list[BatchDocument] = []
    current_bytes = 0
    for doc in documents:
        size = doc.payload_bytes
        if size > max_body_bytes:
            too_big.append(doc)
            continue
        if current and (len(current) >= batch_size or current_bytes + size > max_body_bytes):
            groups.append(current)
            current, current_bytes = [], 0
        current.append(doc)
        current_bytes += size
    if current:
        groups.append(current)
    return groups, too_big
