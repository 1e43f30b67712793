"""Documents from S3 and HTTPS, prefix expansion, results to S3.

Entry points used by the pipeline: :func:`fetch_document` (one ``url`` document's bytes) and
:func:`expand_documents` (``s3://bucket/prefix/`` -> one document per object). Fetching
ahead, in order, is :mod:`extraction.prefetch`.
"""

from __future__ import annotations

from typing import Any, Optional

from extraction.errors import DocumentError, ErrorCode
from extraction.remote.https_fetch import fetch_https
from extraction.remote.redact import redact_url
from extraction.remote.s3 import S3Config, get_object, list_prefix, make_client, parse_s3_url
from extraction.settings.fetch import FetchSettings

__all__ = ["FetchSettings", "expand_documents", "fetch_document", "fetch_url", "settings_for"]


def settings_for(context: Any) -> FetchSettings:
    """Fetch settings from the environment, with the byte cap the pipeline's limits use."""
    settings = FetchSettings.from_env()
    limits = getattr(context, "limits", None)
    if limits is not None:
        settings = settings.model_copy(update={"max_bytes": limits.max_document_bytes})
    return settings


def fetch_url(url: str, *, s3_config: Optional[dict[str, Any]] = None, settings: Optional[FetchSettings] = None) -> bytes:
    """The bytes behind an ``s3://`` or ``https://`` URL, capped and with structured errors."""
    settings = settings or FetchSettings.from_env()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "s3":
        config = S3Config.from_job(s3_config)
        location = parse_s3_url(url, config.bucket_name if config else None)
        data = get_object(make_client(config, settings), location, settings.max_bytes)
    elif scheme in ("https", "http"):
        data = fetch_https(url, settings)
    else:
        raise DocumentError(ErrorCode.URL_NOT_ALLOWED, f"unsupported URL scheme {scheme!r} ({redact_url(url)}); use s3:// or https://")
    if not data:
        raise DocumentError(ErrorCode.EMPTY_DOCUMENT, f"{redact_url(url)} is empty")
    return data


def fetch_document(doc: Any, context: Any) -> bytes:
    """``sources.read_document_bytes`` for ``url`` documents."""
    if is_prefix(doc):
        raise DocumentError(ErrorCode.INVALID_INPUT, f"{redact_url(doc.url)} is a prefix; it must be expanded first")
    return fetch_url(doc.url, s3_config=getattr(context, "s3_config", None), settings=settings_for(context))


def is_prefix(doc: Any) -> bool:
    """A document that stands for many: an s3:// URL with ``recursive`` or ending in ``/``."""
    url = getattr(doc, "url", None)
    if not url:
        return False
    return bool(getattr(doc, "recursive", False)) or (url.lower().startswith("s3://") and url.endswith("/"))


def expand_documents(documents: list[Any], context: Any) -> tuple[list[Any], dict[int, DocumentError]]:
    """Replace every prefix document by one document per object under it.

    Returns the new list and, by position, errors for prefixes that could not be listed
    (those stay in the list as one failed document, so the rest of the job still runs).
    Expanded documents get the object key as id (``<id>/<relative key>`` when the prefix
    document had an id) and inherit its password.
    """
    settings = settings_for(context)
    out: list[Any] = []
    errors: dict[int, DocumentError] = {}
    for doc in documents:
        if not is_prefix(doc):
            out.append(doc)
            continue
        try:
            if not doc.url.lower().startswith("s3://"):
                raise DocumentError(ErrorCode.INVALID_INPUT, f"only s3:// prefixes can be expanded ({redact_url(doc.url)})")
            config = S3Config.from_job(getattr(context, "s3_config", None))
            location = parse_s3_url(doc.url, config.bucket_name if config else None)
            objects = list_prefix(
                make_client(config, settings), location, recursive=bool(doc.recursive), max_objects=settings.max_prefix_objects
            )
            if not objects:
                raise DocumentError(ErrorCode.NOT_FOUND, f"{location.url}: no objects under this prefix")
        except DocumentError as exc:
            errors[len(out)] = exc
            out.append(doc)
            continue
        for obj in objects:
            relative = obj.key[len(location.key):]
            doc_id = f"{doc.id}/{relative}" if doc.id else obj.key
            out.append(doc.model_copy(update={"url": f"s3://{location.bucket}/{obj.key}", "recursive": False, "id": doc_id}))
    return out, errors
