"""``TiltExtractor``: OCR words -> Arctic-TILT answers -> the same normalisation as the CPU path.

Flow for one job: the CPU extractor runs first (cheap) and gives the document type, the
line items and fallback candidates; every question of every document then goes to the GPU
engine in one batch; answers are split, scored, located on the page and normalised. A
failure (question too long, request ignored for lack of KV memory, engine exception) only
affects its own document.

Line items come from the CPU line-item parser, not from TILT: TILT answers a list as one
string joined by " | ", so a table needs one question per column whose lists misalign as
soon as a cell is empty, and each extra question re-encodes the whole document on the GPU.
The parser keeps the row geometry and costs nothing on the GPU.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from extraction.errors import DocumentError, ErrorCode
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.extractors.tilt.answers import confidence, locate, split_values
from extraction.extractors.tilt.convert import (
    ConvertedDocument,
    NoWordsError,
    question_tokens,
    to_tilt_document,
    token_counter,
)
from extraction.extractors.tilt.failures import preprocess_error
from extraction.extractors.tilt.engine import EngineStepError, TiltEngine, TiltOutput
from extraction.extractors.tilt.questions import QuestionSet
from extraction.settings import load_settings
from extraction.settings.tilt import TiltSettings
from extraction.fields import FIELD_KINDS
from extraction.schema import ExtractedField

log = logging.getLogger(__name__)

CUSTOM_PREFIX = "custom:"


@dataclass
class _Ask:
    """One question of one document."""

    kind: str  # "field" | "custom"
    name: str
    text: str
    request_id: str = ""


@dataclass
class _Doc:
    index: int
    request: ExtractionRequest
    cpu: Optional[Extraction] = None
    asks: list[_Ask] = field(default_factory=list)
    converted: Optional[ConvertedDocument] = None
    prompts: list[Any] = field(default_factory=list)
    error: Optional[DocumentError] = None
    skipped: bool = False  # no words: empty result, model not called
    warnings: list[str] = field(default_factory=list)


class _RawNormalized:
    """Stand-in result when the rules package is not installed: the answer text as is."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.warnings: list[str] = []


def normalize(field_name: str, text: str, date_order: str) -> Any:
    """The CPU path's normaliser; ``None`` means the text is not a valid value for the field."""
    try:
        from extraction.normalize.fields import normalize_field  # noqa: PLC0415
    except ImportError:  # rules package not present in this build: keep the answer text
        return _RawNormalized(text.strip()) if text.strip() else None
    return normalize_field(field_name, text, date_order=date_order)


def _cpu_extractor() -> Any:
    try:
        from extraction.extractors.layout.extractor import RulesExtractor  # noqa: PLC0415
    except ImportError:
        return None
    return RulesExtractor()


class TiltExtractor:
    """The GPU extractor. Builds its engine on construction (once per worker)."""

    name = "tilt"
    #: TILT reads the page image beside the words: PDF text-layer pages get rendered too.
    needs_page_images = True

    def __init__(
        self,
        settings: Optional[TiltSettings] = None,
        *,
        engine: Optional[TiltEngine] = None,
        fallback: Any = "auto",
    ) -> None:
        self.settings = settings or load_settings(TiltSettings)
        self.engine = engine or TiltEngine(self.settings)
        self.engine.load()
        self.questions = QuestionSet(self.settings.questions_file, self.settings.question_style)
        self.fallback = _cpu_extractor() if fallback == "auto" else fallback

    # ------------------------------------------------------------------ public API

    def describe(self) -> dict:
        s = self.settings
        return {
            "name": self.name,
            "model": s.model_id,
            "model_path": str(self.engine.model_path) if self.engine.model_path else None,
            "load_ms": self.engine.load_ms,
            "max_model_len": s.max_model_len,
            "gpu_memory_utilization": s.gpu_memory_utilization,
            "max_num_seqs": s.max_num_seqs,
            "max_pages": self._max_pages(),
            "max_doc_tokens": s.max_doc_tokens,
            "limits": self.engine.limits.describe(self.engine.max_question_length),
            "fork_patches": list(self.engine.patches),
            "question_style": s.question_style,
            "line_items": s.line_items,
            "fallback": getattr(self.fallback, "name", None),
        }

    def extract(self, requests: Sequence[ExtractionRequest]) -> list[Extraction | DocumentError]:
        docs = [_Doc(index=i, request=r) for i, r in enumerate(requests)]
        self._run_cpu(docs)
        prefix = self.engine.new_request_prefix()
        for doc in docs:
            try:
                self._prepare(doc, prefix)
            except Exception as exc:  # noqa: BLE001 - one malformed document must not fail the job
                log.exception("preparing document %s for TILT failed", doc.request.document_id)
                doc.error = DocumentError(
                    ErrorCode.EXTRACTION_FAILED, f"TILT could not prepare this document ({type(exc).__name__})"
                )
        live = [d for d in docs if d.prompts and d.error is None]
        outputs = self._generate(live)
        return [self._result(doc, outputs) for doc in docs]

    # ------------------------------------------------------------------ steps

    def _run_cpu(self, docs: list[_Doc]) -> None:
        if self.fallback is None or not docs:
            return
        # The document type picks the question set, so the CPU pass always determines it;
        # custom queries are TILT's alone.
        cpu_requests = [
            dataclasses.replace(d.request, fields=d.request.fields | {"document_type"}, queries={}) for d in docs
        ]
        try:
            results = self.fallback.extract(cpu_requests)
        except Exception:  # noqa: BLE001 - the CPU pass only helps; TILT answers stand without it
            log.exception("CPU extractor failed; continuing with TILT answers only")
            return
        for doc, res in zip(docs, results):
            doc.cpu = res if isinstance(res, Extraction) else None

    def _asks(self, doc: _Doc) -> list[_Ask]:
        document_type = doc.cpu.document_type if doc.cpu else None
        table = self.questions.for_document(document_type)
        asks = [_Ask("field", name, table[name]) for name in FIELD_KINDS if name in doc.request.fields and name in table]
        asks += [_Ask("custom", name, text) for name, text in doc.request.queries.items()]
        return asks

    def _prepare(self, doc: _Doc, prefix: str) -> None:
        """Questions, conversion and preprocessing of one document; failures stay on the document."""
        doc.asks = self._asks(doc)
        if not doc.asks:
            return
        engine = self.engine
        limit = engine.max_question_length
        lengths = [question_tokens(engine.tokenizer, ask.text, engine.prefix_separator) for ask in doc.asks]
        for ask, length in zip(doc.asks, lengths):
            if limit and length > limit:
                what = f"query {ask.name!r}" if ask.kind == "custom" else f"the question for {ask.name!r}"
                doc.error = DocumentError(
                    ErrorCode.INVALID_INPUT, f"{what} is longer than TILT's {limit}-token question limit; shorten it"
                )
                return
        limits = engine.limits
        cap = limits.doc_token_cap(max(lengths))
        if cap <= 0:
            doc.error = DocumentError(
                ErrorCode.EXTRACTION_FAILED,
                "the longest question leaves no room for the document in TILT's limits; shorten the query",
            )
            return
        try:
            doc.converted = to_tilt_document(
                doc.request.document_id,
                doc.request.text,
                engine.processor,
                max_pages=self._max_pages(),
                max_tokens=cap,
                count_tokens=token_counter(engine.tokenizer),
                max_page_ratio=limits.max_page_ratio if self.settings.split_tall_pages else None,
                max_splits=limits.max_images_in_chunk,
                max_tilt_pages=limits.image_limit,
            )
        except NoWordsError:
            doc.skipped = True
            return
        doc.warnings.extend(doc.converted.warnings)
        questions = [
            engine.processor.Question(
                feature_name=(CUSTOM_PREFIX + a.name) if a.kind == "custom" else a.name, text=a.text
            )
            for a in doc.asks
        ]
        try:
            doc.prompts = engine.preprocess(doc.converted.document, questions)
        except Exception as exc:  # noqa: BLE001 - one document's failure stays on that document
            doc.error = preprocess_error(exc)
            if doc.error.code is ErrorCode.EXTRACTION_FAILED:
                log.exception("TILT preprocessing failed for document %s", doc.request.document_id)
            return
        if len(doc.prompts) != len(doc.asks):
            doc.error = DocumentError(ErrorCode.EXTRACTION_FAILED, "TILT preprocessing returned an unexpected number of prompts")
            return
        self._assign_ids(doc, prefix)

    def _max_pages(self) -> int:
        """TILT_MAX_PAGES, never past the model's image limit (pages beyond it get no image)."""
        return min(self.settings.max_pages, self.engine.limits.image_limit)

    @staticmethod
    def _assign_ids(doc: _Doc, prefix: str) -> None:
        for i, ask in enumerate(doc.asks):
            ask.request_id = f"{prefix}-{doc.index}-{i}"

    def _generate(self, docs: list[_Doc]) -> dict[str, TiltOutput]:
        """Run all documents together; when the engine fails, retry each document alone."""
        if not docs:
            return {}
        try:
            return self._run_docs(docs)
        except EngineStepError as exc:
            if len(docs) == 1:
                self._fail(docs[0], exc)
                return {}
            log.warning("TILT engine step failed on a batch of %d documents (%s); retrying one by one", len(docs), exc)
        outputs: dict[str, TiltOutput] = {}
        retry_prefix = self.engine.new_request_prefix()  # fresh ids: the failed ones may linger
        for doc in docs:
            self._assign_ids(doc, retry_prefix)
            try:
                outputs.update(self._run_docs([doc]))
            except EngineStepError as exc:
                self._fail(doc, exc)
        return outputs

    def _run_docs(self, docs: list[_Doc]) -> dict[str, TiltOutput]:
        prompts = [(a.request_id, p) for d in docs for a, p in zip(d.asks, d.prompts)]
        outputs, add_errors = self.engine.run(prompts)
        for doc in docs:
            failed = [a for a in doc.asks if a.request_id in add_errors]
            if failed:
                exc = add_errors[failed[0].request_id]
                doc.error = DocumentError(
                    ErrorCode.EXTRACTION_FAILED,
                    f"the TILT engine refused this document ({type(exc).__name__}: {str(exc)[:200]})",
                )
        return outputs

    def _fail(self, doc: _Doc, exc: EngineStepError) -> None:
        log.error("TILT engine failed on document %s: %s", doc.request.document_id, exc)
        tokens = doc.converted.tokens if doc.converted else 0
        doc.error = DocumentError(
            ErrorCode.EXTRACTION_FAILED,
            f"the TILT engine failed on this document ({tokens} tokens, {type(exc.cause).__name__}); "
            "if it is long, retry with fewer pages or a lower TILT_MAX_DOC_TOKENS",
        )

    # ------------------------------------------------------------------ results

    def _result(self, doc: _Doc, outputs: dict[str, TiltOutput]) -> Extraction | DocumentError:
        if doc.error is not None:
            return doc.error
        cpu = doc.cpu
        wanted = doc.request.fields
        document_type = cpu.document_type if cpu is not None and "document_type" in wanted else None
        result = Extraction(document_type=document_type, warnings=list(doc.warnings))
        if doc.skipped:
            result.warnings.append("no words were found on the document; TILT was not run")
            result.custom = {name: None for name in doc.request.queries}
            return result
        asks = doc.asks
        ignored = [a for a in asks if a.request_id in outputs and outputs[a.request_id].ignored]
        missing = [a for a in asks if a.request_id not in outputs]
        if ignored or missing:
            tokens = doc.converted.tokens if doc.converted else 0
            return DocumentError(
                ErrorCode.EXTRACTION_FAILED,
                f"the document ({tokens} tokens x {len(asks)} questions) does not fit the GPU memory TILT has; "
                "ask for fewer fields, send fewer pages, or lower TILT_MAX_DOC_TOKENS",
            )
        words = doc.converted.words if doc.converted else []
        separator = self.engine.answer_separator
        for ask in asks:
            out = outputs[ask.request_id]
            values = split_values(out.text, separator)
            if out.finish_reason == "length" and out.text:
                label = f"query {ask.name!r}" if ask.kind == "custom" else ask.name
                result.warnings.append(f"{label}: TILT's answer hit the output length limit and may be cut short")
            score = confidence(out.logprobs, out.token_ids)
            if ask.kind == "custom":
                result.custom[ask.name] = self._custom_field(out.text, values, score, words, separator)
                continue
            found = self._standard_field(ask.name, values, score, words, doc, result.warnings)
            if found is not None:
                result.fields[ask.name] = found
        # Fields TILT is not asked (document_type...) and line items come from the CPU pass.
        if cpu is not None:
            for name, value in cpu.fields.items():
                if name in wanted and name not in result.fields and name not in {a.name for a in asks if a.kind == "field"}:
                    result.fields[name] = value
            if "line_items" in wanted and self.settings.line_items == "cpu":
                result.line_items = list(cpu.line_items)
        return result

    def _standard_field(
        self,
        name: str,
        values: list[str],
        score: Optional[float],
        words: Sequence[Any],
        doc: _Doc,
        warnings: list[str],
    ) -> Optional[ExtractedField]:
        if not values:
            return None
        distinct = list(dict.fromkeys(values))
        for text in distinct:
            norm = normalize(name, text, doc.request.date_order)
            if norm is None:
                continue
            where = locate(text, words)
            warnings.extend(f"{name}: {w}" for w in getattr(norm, "warnings", []) or [])
            if len(distinct) > 1:
                warnings.append(f"{name}: TILT gave {len(distinct)} values; kept {text!r}")
            return ExtractedField(
                value=norm.value,
                text=text,
                confidence=score if score is not None else 0.0,
                page=where.page if where else None,
                bbox=where.bbox if where else None,
            )
        kind = FIELD_KINDS.get(name, "text")
        candidate = doc.cpu.fields.get(name) if doc.cpu else None
        if candidate is not None:
            warnings.append(
                f"{name}: TILT answered {distinct[0]!r}, which is not a valid {kind}; used the CPU extractor's value"
            )
            return candidate
        warnings.append(f"{name}: TILT answered {distinct[0]!r}, which is not a valid {kind}; left empty")
        return None

    @staticmethod
    def _custom_field(
        raw: str, values: list[str], score: Optional[float], words: Sequence[Any], separator: str
    ) -> Optional[ExtractedField]:
        if not values:
            return None
        where = locate(values[0], words)
        return ExtractedField(
            value=values[0] if len(values) == 1 else values,
            text=separator.join(values),
            confidence=score if score is not None else 0.0,
            page=where.page if where else None,
            bbox=where.bbox if where else None,
        )
