"""The pipeline: bytes -> pages -> words (text layer or OCR) -> fields -> rules -> JSON.

Built once per process (engines load at cold start); :meth:`Pipeline.run_job` is what the
RunPod handler calls for every job. Every document succeeds or fails on its own: a
:class:`DocumentError` (or any unexpected exception) becomes that document's ``error``.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from pydantic import ValidationError

from extraction.concurrency import ReaderPool, read_job_documents, reader_pool_for
from extraction.settings.catalog import check_environment
from extraction.settings.limits import Limits
from extraction.documents import PageImage, load_document
from extraction.engines import build_extractor, build_ocr
from extraction.errors import DocumentError, ErrorCode, JobInputError, is_fatal
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.faults import FaultLatch
from extraction.fields import FIELD_KINDS, STANDARD_FIELDS
from extraction.job_output import cap_text as _cap_text
from extraction.job_output import ocr_pages as _ocr_pages
from extraction.job_output import open_output as _open_output
from extraction.job_output import write_result as _write_result
from extraction.layout import DocumentText, Line, PageText
from extraction.loading import LoadingEngine, load_in_background
from extraction.normalize.validation import run_checks
from extraction.pageprep import PagePreparer, cap_unreadable
from extraction.schema import (
    DocumentInput,
    DocumentResult,
    ErrorInfo,
    JobInput,
    JobOutput,
    JobSummary,
    Options,
    PageCorrection,
)
from extraction.sources import SourceContext, expand_documents, prefetch_documents

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, DocumentResult], None]


def describe_validation_error(error: ValidationError) -> str:
    """Pydantic errors as 'path: problem' without echoing input values (they may hold secrets or megabytes of base64)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        location = ".".join(str(p) for p in item.get("loc", ())) or "input"
        parts.append(f"{location}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)


@dataclass
class _Prepared:
    """A document after loading and OCR, waiting for the extractor."""

    doc_id: str
    text: Optional[DocumentText] = None
    error: Optional[DocumentError] = None
    page_count: int = 0
    warnings: list[str] = field(default_factory=list)
    engines: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    corrections: list[PageCorrection] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)


class Pipeline:
    def __init__(
        self,
        ocr: Any,
        extractor: Any,
        limits: Optional[Limits] = None,
        startup_ms: Optional[dict[str, float]] = None,
        readers: Optional[ReaderPool] = None,
    ) -> None:
        self.ocr = ocr
        self.extractor = extractor
        self.limits = limits or Limits.from_env()
        self.startup_ms = startup_ms if startup_ms is not None else {}
        self.readers = readers  # reader processes for jobs with several documents (None: read here)
        self.faults = FaultLatch()  # tripped by a fault that leaves the process unusable
        self.page_prep = PagePreparer.from_env()

    @classmethod
    def from_env(cls, ocr: Optional[str] = None, extractor: Optional[str] = None, background: bool = False) -> "Pipeline":
        """Build both engines once (names: explicit, else ``OCR_ENGINE``/``EXTRACTOR``, else ``auto``).

        Every setting is checked first: a bad value raises ``SettingsError`` before any model loads.
        ``background``: CPU engines load in threads (:mod:`extraction.loading`) and the pipeline
        is returned at once; the first use of an engine waits for it.
        """
        check_environment()
        limits = Limits.from_env()
        startup: dict[str, float] = {}
        loading = load_in_background(ocr, extractor, startup) if background else None
        if loading is not None:
            ocr_engine, extractor_engine = loading
            return cls(ocr_engine, extractor_engine, limits, startup, readers=reader_pool_for(ocr_engine.name, limits))
        started = time.perf_counter()
        ocr_engine = build_ocr(ocr)
        ocr_done = time.perf_counter()
        extractor_engine = build_extractor(extractor)
        done = time.perf_counter()
        startup = {"ocr": _ms(ocr_done - started), "extractor": _ms(done - ocr_done), "total": _ms(done - started)}
        log.info("pipeline ready in %.0f ms (ocr=%s, extractor=%s)", startup["total"], ocr_engine.name, extractor_engine.name)
        return cls(ocr_engine, extractor_engine, limits, startup, readers=reader_pool_for(ocr_engine.name, limits))

    def describe(self) -> dict[str, Any]:
        import model_cache  # light: where each model came from and how long finding/fetching it took

        facts = {"ocr": self.ocr.describe(), "extractor": self.extractor.describe(), "startup_ms": dict(self.startup_ms)}
        models = model_cache.timings()
        if models:
            facts["models"] = models
        return facts

    @property
    def wants_page_images(self) -> bool:
        return bool(getattr(self.extractor, "needs_page_images", False))

    # ------------------------------------------------------------------ public entry points

    def run_job(
        self,
        job_input: dict[str, Any] | JobInput,
        job: Optional[dict[str, Any]] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> dict[str, Any]:
        """Run one job; raises :class:`JobInputError` when the job itself is invalid. After a fatal
        fault the job stops there: the documents not done get ``worker_failed`` (and later jobs')."""
        started = time.perf_counter()
        parsed = self.parse_job_input(job_input)
        context = SourceContext(limits=self.limits, s3_config=(job or {}).get("s3Config"))
        documents, source_errors = expand_documents(parsed.all_documents, context)
        if len(documents) > self.limits.max_documents_per_job:
            raise JobInputError(
                ErrorCode.TOO_MANY_DOCUMENTS,
                f"{len(documents)} documents, over the limit of {self.limits.max_documents_per_job} per job; split the job",
            )
        fields = frozenset(parsed.fields or STANDARD_FIELDS)
        writer = _open_output(parsed, job, context)
        results: list[DocumentResult] = []
        done = 0
        pending: list[tuple[_Prepared, DocumentInput]] = []

        def flush() -> None:
            nonlocal done
            for result in self._extract_and_finish(pending, fields, parsed.queries or {}, parsed.options):
                done += 1
                if writer is None:
                    results.append(result)
                else:
                    _write_result(writer, result)
                if progress is not None:
                    progress(done, len(documents), result)
            pending.clear()

        fetched = prefetch_documents(documents, context, source_errors)
        for prepared, doc in read_job_documents(self, fetched, parsed.options, len(documents)):
            pending.append((prepared, doc))
            if len(pending) >= self.limits.extract_batch_size:
                flush()
        if self.faults.reason is not None:  # stopped by a fatal fault: the documents not reached are not even fetched
            reached = done + len(pending)
            pending += [(_Prepared(doc.id or f"document-{i + 1}", error=self.faults.error()), doc) for i, doc in enumerate(documents) if i >= reached]
        flush()

        if writer is not None:
            return writer.finish({"engines": self.describe(), "timings_ms": {"total": _ms(time.perf_counter() - started)}})
        output = JobOutput(
            documents=results,
            summary=JobSummary(
                documents=len(results),
                succeeded=sum(r.status == "ok" for r in results),
                failed=sum(r.status == "error" for r in results),
            ),
            engines=self.describe(),
            timings_ms={"total": _ms(time.perf_counter() - started)},
        )
        return output.model_dump(mode="json")

    def read_prepared(self, prepared: _Prepared, data: bytes, options: Options, password: Optional[str]) -> None:
        """Load and read one document; any failure becomes its error."""
        try:
            self._load_and_read(prepared, data, options, password)
        except DocumentError as exc:
            prepared.error = exc
        except Exception as exc:
            if is_fatal(exc):
                prepared.error = self.faults.trip(exc)
            else:
                log.exception("unexpected error while reading document %s", prepared.doc_id)
                prepared.error = DocumentError(ErrorCode.INTERNAL_ERROR, "unexpected error while reading the document")

    def read_document(self, doc_id: str, data: bytes, options: Options, password: Optional[str] = None) -> _Prepared:
        """One document loaded and read, not extracted (what a reader process does for the worker)."""
        prepared = _Prepared(doc_id=doc_id)
        self.read_prepared(prepared, data, options, password)
        if prepared.text is not None and not self.wants_page_images:
            for page in prepared.text.pages:
                page.image = None  # not needed by the extractor: not worth sending back
        return prepared

    def start_readers(self) -> None:
        """Start the reader processes ahead of the first job with several documents (once the
        extractor, when it is still loading, has said whether it needs page images)."""
        if isinstance(self.extractor, LoadingEngine) and not self.extractor.loaded:
            self.extractor.when_loaded(lambda _engine: self.start_readers())
        elif self.readers is not None and not self.wants_page_images:
            self.readers.start()

    def extract_bytes(
        self,
        data: bytes,
        doc_id: str = "doc",
        fields: Optional[Sequence[str]] = None,
        options: Optional[Options] = None,
        password: Optional[str] = None,
        queries: Optional[dict[str, str]] = None,
    ) -> DocumentResult:
        """One document from bytes (the evaluation harness, benchmarks and local ``extract`` use this)."""
        options = options or Options()
        prepared = _Prepared(doc_id=doc_id)
        try:
            self._load_and_read(prepared, data, options, password)
        except DocumentError as exc:
            prepared.error = exc
        return self._extract_and_finish([(prepared, None)], frozenset(fields or STANDARD_FIELDS), dict(queries or {}), options)[0]

    def extract_text(
        self,
        doc_id: str,
        text: DocumentText,
        fields: Optional[Sequence[str]] = None,
        date_order: str = "auto",
    ) -> DocumentResult:
        """One document whose words are already known (e.g. a dataset's own OCR boxes)."""
        prepared = _Prepared(doc_id=doc_id, text=text, page_count=len(text.pages))
        prepared.engines["pages"] = {str(p.number): p.source for p in text.pages}
        options = Options(date_order=date_order)  # type: ignore[arg-type]
        return self._extract_and_finish([(prepared, None)], frozenset(fields or STANDARD_FIELDS), {}, options)[0]

    @staticmethod
    def parse_job_input(job_input: dict[str, Any] | JobInput) -> JobInput:
        if isinstance(job_input, JobInput):
            return job_input
        if not isinstance(job_input, dict):
            raise JobInputError(ErrorCode.INVALID_INPUT, f"job input must be a JSON object, got {type(job_input).__name__}")
        try:
            return JobInput.model_validate(job_input)
        except ValidationError as exc:
            raise JobInputError(ErrorCode.INVALID_INPUT, describe_validation_error(exc)) from None

    # ------------------------------------------------------------------ stages

    def _check_budget(self, prepared: _Prepared, stage: str) -> None:
        elapsed = time.perf_counter() - prepared.started
        if elapsed > self.limits.document_timeout_s:
            raise DocumentError(
                ErrorCode.TIMEOUT, f"document took {elapsed:.1f}s (after {stage}), over its {self.limits.document_timeout_s:g}s budget"
            )

    def _recognize_within_budget(self, prepared: _Prepared, page: PageImage) -> list[Line]:
        """OCR one page, waiting no longer than what is left of the document's time budget.

        The engine runs in a helper thread so that a page that never finishes turns into a
        ``timeout`` for this document while the job goes on; the abandoned thread finishes (or
        not) on its own and holds no lock that the next document needs.
        """
        remaining = self.limits.document_timeout_s - (time.perf_counter() - prepared.started)
        if remaining <= 0:
            self._check_budget(prepared, f"before OCR of page {page.number}")
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr")
        future = pool.submit(self.ocr.recognize, page.image)
        try:
            return future.result(timeout=max(remaining, 0.001))
        except FutureTimeout:
            raise DocumentError(
                ErrorCode.TIMEOUT,
                f"OCR of page {page.number} did not finish within the document's {self.limits.document_timeout_s:g}s budget",
            ) from None
        except Exception as exc:
            if is_fatal(exc):
                raise
            log.error("OCR failed on page %d of %s: %s", page.number, prepared.doc_id, type(exc).__name__)
            raise DocumentError(ErrorCode.OCR_FAILED, f"OCR failed on page {page.number}: {type(exc).__name__}") from None
        finally:
            pool.shutdown(wait=False)

    def _load_and_read(self, prepared: _Prepared, data: bytes, options: Options, password: Optional[str]) -> None:
        """Load pages, then read their words: text layer as is, images through OCR."""
        started = time.perf_counter()
        loaded = load_document(
            data,
            limits=self.limits,
            pages=options.pages,
            dpi=options.dpi,
            password=password,
            render_text_pages=self.wants_page_images,
        )
        prepared.timings_ms["load"] = _ms(time.perf_counter() - started)
        prepared.page_count = loaded.page_count
        prepared.warnings.extend(loaded.warnings)
        self._check_budget(prepared, "loading")

        started = time.perf_counter()
        pages: list[PageText] = []
        page_sources: dict[str, str] = {}
        for page in loaded.pages:
            if isinstance(page, PageImage):
                read = self.page_prep.read(page, lambda image: self._recognize_within_budget(prepared, image))
                page, lines = read.page, read.lines
                prepared.corrections.append(read.correction)
                prepared.warnings.extend(read.warnings)
                prepared.timings_ms["page_prep"] = prepared.timings_ms.get("page_prep", 0.0) + _ms(read.prep_seconds)
                width, height = page.image.size
                pages.append(PageText(number=page.number, width=width, height=height, lines=lines, source="ocr", image=page.image))
                page_sources[str(page.number)] = self.ocr.name
            else:
                pages.append(page)
                page_sources[str(page.number)] = "text_layer"
            self._check_budget(prepared, f"reading page {page.number}")
        prepared.timings_ms["ocr"] = _ms(time.perf_counter() - started)
        prepared.text = DocumentText(pages=_cap_text(pages, self.limits.max_text_chars, prepared.warnings))
        prepared.engines["pages"] = page_sources
        if prepared.text.word_count == 0:
            prepared.warnings.append("no text was found on the document")

    def _extract_and_finish(
        self,
        batch: Sequence[tuple[_Prepared, Optional[DocumentInput]]],
        fields: frozenset[str],
        queries: dict[str, str],
        options: Options,
    ) -> list[DocumentResult]:
        ready = [p for p, _ in batch if p.error is None and p.text is not None]
        requests = [
            ExtractionRequest(document_id=p.doc_id, text=p.text, fields=fields, queries=dict(queries), date_order=options.date_order)  # type: ignore[arg-type]
            for p in ready
        ]
        outcomes: dict[int, Extraction | DocumentError] = {}
        if requests:
            started = time.perf_counter()
            extracted = self._extract_isolated(requests)
            per_document_ms = _ms((time.perf_counter() - started) / len(requests))
            for prepared, outcome in zip(ready, extracted):
                prepared.timings_ms["extract"] = per_document_ms
                outcomes[id(prepared)] = outcome
        results = []
        for prepared, _ in batch:
            outcome = outcomes.get(id(prepared), prepared.error)
            results.append(self._finish(prepared, outcome, fields, queries, options))
        return results

    def _extract_isolated(self, requests: list[ExtractionRequest]) -> list[Extraction | DocumentError]:
        """Batch extraction; if the batch call itself fails, retry one by one so one document cannot sink the rest
        (unless the failure is fatal: then no document of the batch, or after it, reaches the engine)."""
        try:
            if self.faults.reason is not None:
                return [self.faults.error() for _ in requests]
            outcomes = list(self.extractor.extract(requests))
            if len(outcomes) != len(requests):
                raise RuntimeError(f"extractor returned {len(outcomes)} results for {len(requests)} documents")
            return outcomes
        except Exception as exc:
            if is_fatal(exc):
                return [self.faults.trip(exc) for _ in requests]
            if len(requests) == 1:
                log.exception("extractor failed on %s", requests[0].document_id)
                return [DocumentError(ErrorCode.EXTRACTION_FAILED, "the extractor failed on this document")]
            log.warning("extractor batch failed; retrying %d documents one by one", len(requests))
            return [self._extract_isolated([request])[0] for request in requests]

    def _finish(
        self,
        prepared: _Prepared,
        outcome: Extraction | DocumentError | None,
        fields: frozenset[str],
        queries: dict[str, str],
        options: Options,
    ) -> DocumentResult:
        timings = dict(prepared.timings_ms)
        engines = {**prepared.engines, "extractor": self.extractor.name}
        if outcome is None:
            outcome = DocumentError(ErrorCode.INTERNAL_ERROR, "the document was not processed")
        if isinstance(outcome, DocumentError):
            timings["total"] = _ms(time.perf_counter() - prepared.started)
            return DocumentResult(
                id=prepared.doc_id,
                status="error",
                error=ErrorInfo(**outcome.to_dict()),
                pages=prepared.page_count,
                warnings=prepared.warnings,
                engines=engines,
                timings_ms=timings,
            )
        started = time.perf_counter()
        header = [name for name in FIELD_KINDS if name != "document_type" and name in fields]
        found = {name: outcome.fields.get(name) for name in header}
        line_items = list(outcome.line_items) if "line_items" in fields else []
        found, line_items = cap_unreadable(found, line_items, prepared.corrections, self.page_prep.settings.unreadable_confidence_cap)
        checks = run_checks({k: v for k, v in found.items() if v is not None}, line_items)
        timings["rules"] = _ms(time.perf_counter() - started)
        timings["total"] = _ms(time.perf_counter() - prepared.started)
        return DocumentResult(
            id=prepared.doc_id,
            status="ok",
            document_type=outcome.document_type,
            pages=prepared.page_count,
            fields=found,
            line_items=line_items,
            custom={name: outcome.custom.get(name) for name in queries},
            validation=checks,
            warnings=[*prepared.warnings, *outcome.warnings],
            engines=engines,
            timings_ms=timings,
            page_corrections=prepared.corrections,
            ocr=_ocr_pages(prepared.text) if options.return_ocr and prepared.text else None,
        )
