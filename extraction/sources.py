"""Turning a :class:`~extraction.schema.DocumentInput` into bytes.

Inline documents arrive as base64 (plain or a ``data:`` URL); ``url`` documents are fetched
by :mod:`extraction.remote` when it is installed in this build.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from extraction.settings.limits import Limits
from extraction.errors import DocumentError, ErrorCode
from extraction.prefetch import prefetch
from extraction.schema import DocumentInput

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[^;,]*)*)(?P<b64>;base64)?,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


@dataclass
class SourceContext:
    """What a source needs besides the document: limits, and the job's storage credentials."""

    limits: Limits = field(default_factory=Limits)
    s3_config: Optional[dict[str, Any]] = None


def decode_base64(value: str, max_bytes: int) -> bytes:
    """Decode plain base64, URL-safe base64 or a ``data:`` URL; whitespace and missing padding are tolerated."""
    text = value.strip()
    match = _DATA_URL.match(text)
    if match:
        if not match.group("b64"):
            raise DocumentError(ErrorCode.INVALID_BASE64, "data: URL is not base64-encoded (add ';base64')")
        text = text[match.end():]
    text = _WHITESPACE.sub("", text)
    if not text:
        raise DocumentError(ErrorCode.EMPTY_DOCUMENT, "the document's base64 is empty")
    # 4 base64 characters make 3 bytes: refuse before decoding what would be over the cap.
    if len(text) // 4 * 3 > max_bytes + 3:
        raise DocumentError(ErrorCode.TOO_LARGE, f"document is over the {max_bytes} byte limit")
    if "-" in text or "_" in text:
        text = text.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError(
            ErrorCode.INVALID_BASE64, "'base64' is not valid base64 (allowed: A-Z a-z 0-9 + / = or a data: URL)"
        ) from None
    if not data:
        raise DocumentError(ErrorCode.EMPTY_DOCUMENT, "the document is empty")
    if len(data) > max_bytes:
        raise DocumentError(ErrorCode.TOO_LARGE, f"document is {len(data)} bytes, over the {max_bytes} byte limit")
    return data


def read_document_bytes(doc: DocumentInput, context: SourceContext) -> bytes:
    """The document's bytes, or a :class:`DocumentError` saying why they cannot be had."""
    if doc.base64 is not None:
        return decode_base64(doc.base64, context.limits.max_document_bytes)
    return _fetch_url(doc, context)


def _fetch_url(doc: DocumentInput, context: SourceContext) -> bytes:
    from extraction.remote import fetch_document  # imported on first use: boto3/requests stay out of start-up

    return fetch_document(doc, context)


# --------------------------------------------------------------------------- batches


def expand_documents(documents: list[DocumentInput], context: SourceContext) -> tuple[list[DocumentInput], dict[int, DocumentError]]:
    """Replace ``s3://bucket/prefix/`` documents by one document per object (capped).

    Returns the documents and, by position, errors of prefixes that could not be listed.
    """
    if not any(doc.url and (doc.recursive or doc.url.endswith("/")) for doc in documents):
        return documents, {}
    from extraction.remote import expand_documents as expand

    return expand(documents, context)


def prefetch_documents(
    documents: list[DocumentInput], context: SourceContext, errors: Optional[dict[int, DocumentError]] = None
) -> Iterator[tuple[int, DocumentInput, Optional[bytes], Optional[BaseException], float]]:
    """Yield ``(index, doc, data, error, fetch_ms)`` in order while later documents download.

    Up to ``FETCH_CONCURRENCY`` documents are fetched ahead, so S3/HTTPS latency overlaps
    OCR and extraction of the earlier ones; memory stays bounded by that window. A job with
    no ``url`` documents decodes each one only when it is next.
    """
    errors = errors or {}

    def fetch(item: tuple[int, DocumentInput]) -> tuple[bytes, float]:
        index, doc = item
        if index in errors:
            raise errors[index]
        started = time.perf_counter()
        data = read_document_bytes(doc, context)
        return data, round((time.perf_counter() - started) * 1000.0, 1)

    items = list(enumerate(documents))
    workers = 1
    if any(doc.url for doc in documents):
        from extraction.settings.fetch import FetchSettings

        workers = FetchSettings.from_env().prefetch
    for item, outcome, error in prefetch(items, fetch, workers):
        data, ms = outcome if error is None else (None, 0.0)
        yield item[0], item[1], data, error, ms
