"""``extraction.extract(...)``: the worker's pipeline as a Python call.

One code path: every document goes through :meth:`Pipeline.extract_bytes`, the same
pipeline the RunPod handler runs, and comes back as the same
:class:`~extraction.schema.DocumentResult` (``.model_dump_json()`` gives the worker's JSON).
Engines are built once per process and kept (model loading dominates a cold start); with
``workers > 1`` each process of the pool builds its own pipeline once.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

from extraction.errors import ErrorCode
from extraction.fields import STANDARD_FIELDS
from extraction.local.inputs import LocalDocument, Source, collect, is_single
from extraction.schema import DocumentResult, ErrorInfo, Options

log = logging.getLogger(__name__)

_PIPELINES: dict[tuple[Optional[str], Optional[str]], Any] = {}
_PIPELINES_LOCK = threading.Lock()


class PipelineBuildError(RuntimeError):
    """The engines could not be built (unknown name, missing package or weights)."""


def get_pipeline(ocr: Optional[str] = None, extractor: Optional[str] = None) -> Any:
    """This process's pipeline for these engine names (``None``: ``OCR_ENGINE``/``EXTRACTOR``, else auto), built on first use."""
    key = (ocr, extractor)
    with _PIPELINES_LOCK:
        if key not in _PIPELINES:
            from extraction.pipeline import Pipeline

            try:
                _PIPELINES[key] = Pipeline.from_env(ocr=ocr, extractor=extractor)
            except Exception as exc:
                raise PipelineBuildError(f"could not build the pipeline: {type(exc).__name__}: {exc}") from None
        return _PIPELINES[key]


@dataclass(frozen=True)
class Request:
    """What to extract and how, the same for every document of a call (travels to pool processes)."""

    fields: Optional[tuple[str, ...]] = None
    queries: dict[str, str] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    password: Optional[str] = None
    overlay_dir: Optional[Path] = None
    ocr: Optional[str] = None
    extractor: Optional[str] = None


def make_request(
    fields: Optional[Iterable[str]] = None,
    queries: Optional[dict[str, str]] = None,
    options: Union[Options, dict[str, Any], None] = None,
    password: Optional[str] = None,
    overlay_dir: Union[str, Path, None] = None,
    ocr: Optional[str] = None,
    extractor: Optional[str] = None,
) -> Request:
    """Check the arguments once, before any document runs; raises :class:`ValueError` naming the problem."""
    chosen = tuple(fields) if fields is not None else None
    if chosen is not None:
        unknown = [name for name in chosen if name not in STANDARD_FIELDS]
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; standard fields are: {', '.join(STANDARD_FIELDS)}")
    if queries is not None and not (isinstance(queries, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in queries.items())):
        raise ValueError("queries must map a name to a question, both strings")
    if isinstance(options, dict):
        options = Options.model_validate(options)
    return Request(
        fields=chosen,
        queries=dict(queries or {}),
        options=options or Options(),
        password=password,
        overlay_dir=Path(overlay_dir) if overlay_dir is not None else None,
        ocr=ocr,
        extractor=extractor,
    )


def _failed(doc_id: str, code: ErrorCode, message: str) -> DocumentResult:
    return DocumentResult(id=doc_id, status="error", error=ErrorInfo(code=code.value, message=message))


def extract_document(doc: LocalDocument, request: Request, pipeline: Any = None) -> DocumentResult:
    """One document through the pipeline; a document that cannot be read or run becomes an error result."""
    pipeline = pipeline if pipeline is not None else get_pipeline(request.ocr, request.extractor)
    try:
        data = doc.read()
    except FileNotFoundError:
        return _failed(doc.id, ErrorCode.NOT_FOUND, f"the file {doc.path} no longer exists")
    except PermissionError:
        return _failed(doc.id, ErrorCode.ACCESS_DENIED, f"the file {doc.path} cannot be read: permission denied")
    except OSError as exc:
        return _failed(doc.id, ErrorCode.INTERNAL_ERROR, f"the file {doc.path} cannot be read: {type(exc).__name__}")
    try:
        result = pipeline.extract_bytes(
            data, doc.id, fields=request.fields, options=request.options, password=request.password, queries=request.queries
        )
    except Exception:
        log.exception("unexpected error on %s", doc.id)
        return _failed(doc.id, ErrorCode.INTERNAL_ERROR, "unexpected error while extracting the document")
    if request.overlay_dir is not None and result.status == "ok":
        from extraction.overlay import save_overlay

        try:
            save_overlay(result, data, request.overlay_dir, options=request.options, password=request.password)
        except Exception as exc:  # the extraction stands; the picture is a convenience
            log.warning("overlay for %s not written: %s", doc.id, exc)
            result.warnings.append(f"overlay not written: {type(exc).__name__}: {exc}")
    return result


def run_documents(
    documents: Sequence[LocalDocument],
    request: Request,
    workers: int = 1,
    pipeline: Any = None,
) -> Iterator[tuple[int, DocumentResult]]:
    """Yield ``(position, result)`` as documents finish; ``workers > 1``: a pool of processes,
    each with its own pipeline and its share of the cores (a given ``pipeline`` runs here, alone)."""
    if pipeline is not None or workers <= 1 or len(documents) <= 1:
        for position, doc in enumerate(documents):
            yield position, extract_document(doc, request, pipeline)
        return
    from extraction.parallel import run_in_processes

    yield from run_in_processes(extract_document, [(doc, request) for doc in documents], workers)


def extract(
    source: Union[Source, Iterable[Source]],
    *,
    fields: Optional[Iterable[str]] = None,
    queries: Optional[dict[str, str]] = None,
    options: Union[Options, dict[str, Any], None] = None,
    password: Optional[str] = None,
    ocr: Optional[str] = None,
    extractor: Optional[str] = None,
    overlay_dir: Union[str, Path, None] = None,
    workers: int = 1,
    pipeline: Any = None,
) -> Union[DocumentResult, list[DocumentResult]]:
    """Extract fields from documents, as the worker does.

    ``source``: a file path or the file's bytes -> one :class:`DocumentResult`; a folder, a
    glob pattern or a list of paths/bytes -> a list, in input order. A document that fails
    comes back with ``status="error"`` and ``error.code``; a path that does not exist raises
    :class:`FileNotFoundError`. ``options``: as a job's (``pages``, ``dpi``, ``date_order``,
    ``return_ocr``); ``overlay_dir``: also write a picture per page there (see
    :func:`extraction.overlay.save_overlay`); ``pipeline``: use this one instead of the process's.
    """
    request = make_request(fields, queries, options, password, overlay_dir, ocr, extractor)
    single = is_single(source)
    one_argument = single or isinstance(source, (str, os.PathLike))
    documents = collect([source] if one_argument else list(source))  # type: ignore[arg-type, list-item]
    results: list[Optional[DocumentResult]] = [None] * len(documents)
    for position, result in run_documents(documents, request, workers=workers, pipeline=pipeline):
        results[position] = result
    finished = [r for r in results if r is not None]
    if single:
        return finished[0]
    return finished
