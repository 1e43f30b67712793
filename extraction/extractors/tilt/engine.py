"""The in-process Arctic-TILT engine: construction and the step loop, behind one lock.

Why V0 ``LLMEngine`` and these exact arguments: the TILT fork of vLLM only runs through its
own scheduler, rejects CUDA graphs and async output processing, and needs the xformers
attention backend (see docs/gpu.md). vllm is imported here only, and only in :meth:`load`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from extraction.extractors.tilt.settings import TiltSettings, weights_present

log = logging.getLogger(__name__)

#: Environment the fork needs before the engine is built.
REQUIRED_ENV = {
    "VLLM_ATTENTION_BACKEND": "XFORMERS",
    "VLLM_USE_V1": "0",
    "HF_HUB_OFFLINE": "1",
}


class EngineStepError(RuntimeError):
    """``engine.step()`` raised; ``pending`` are the request ids that were still running."""

    def __init__(self, cause: BaseException, pending: Sequence[str]) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause
        self.pending = list(pending)


@dataclass
class TiltOutput:
    """What the extractor needs from a finished ``RequestOutput``."""

    request_id: str
    text: str
    token_ids: list[int]
    logprobs: list[dict]
    finish_reason: Optional[str]

    @property
    def ignored(self) -> bool:
        """The scheduler gave up on it (its KV could never fit): empty text and no logprobs."""
        return not self.text and not self.logprobs and self.finish_reason == "length"

    @classmethod
    def from_request_output(cls, out: Any) -> "TiltOutput":
        completion = out.outputs[0] if out.outputs else None
        if completion is None:
            return cls(out.request_id, "", [], [], None)
        return cls(
            request_id=out.request_id,
            text=completion.text or "",
            token_ids=list(completion.token_ids or []),
            logprobs=list(completion.logprobs or []),
            finish_reason=completion.finish_reason,
        )


def resolve_model_path(settings: TiltSettings) -> Path:
    """Local weights path: TILT_MODEL_PATH, else ``model_cache.ensure("tilt")`` when installed.

    ``ensure`` finds the weights on the volume (or fetches them once, if the deployment allows
    downloads) and puts the process offline afterwards.
    """
    if settings.model_path is None:
        try:
            import model_cache  # type: ignore[import-not-found]  # noqa: PLC0415
        except ImportError:
            model_cache = None
        if model_cache is not None:
            return Path(model_cache.ensure("tilt"))
    return settings.resolved_model_path()


class TiltEngine:
    """One vLLM engine per process; every call into it holds ``self._lock`` (it is not thread-safe)."""

    def __init__(self, settings: TiltSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        # The preprocessor mutates its tokenizer (truncation per page): one document at a time.
        self._prep_lock = threading.Lock()
        self._engine: Any = None
        self._processor_module: Any = None
        self._preprocessor: Any = None
        self._sampling_params: Any = None
        self.model_path: Optional[Path] = None
        self.load_ms: Optional[float] = None

    # ------------------------------------------------------------------ construction

    def engine_kwargs(self, model_path: Path) -> dict[str, Any]:
        """The ``EngineArgs`` keywords, in one place so tests can compare them to the docs."""
        s = self.settings
        return dict(
            model=str(model_path),
            task="tilt_generate",
            scheduler_cls="vllm.tilt.scheduler.Scheduler",
            enforce_eager=True,
            disable_async_output_proc=True,
            dtype=s.dtype,
            max_model_len=s.max_model_len,
            gpu_memory_utilization=s.gpu_memory_utilization,
            max_num_seqs=s.max_num_seqs,
            # The sync EngineArgs has no ``disable_log_requests`` (only AsyncEngineArgs does;
            # passing it raises TypeError); the V0 LLMEngine does not log requests anyway.
            disable_log_stats=True,
            additional_config={
                "max_num_batched_encoder_tokens": s.max_num_batched_encoder_tokens,
                "max_chunks_in_batch": s.max_chunks_in_batch,
            },
        )

    def load(self) -> None:
        """Build the engine once (idempotent). Raises if vllm or the weights are missing."""
        with self._lock:
            if self._engine is not None:
                return
            started = time.perf_counter()
            model_path = resolve_model_path(self.settings)
            if not weights_present(model_path):
                raise FileNotFoundError(
                    f"Arctic-TILT weights not found at {model_path}: set TILT_MODEL_PATH or populate the model cache"
                )
            for key, value in REQUIRED_ENV.items():
                os.environ[key] = value  # read by vllm at import/build time, so set before importing it
            import vllm  # noqa: PLC0415 - heavy GPU import, only on the GPU path
            from vllm.multimodal import tilt_processor  # noqa: PLC0415

            engine = vllm.LLMEngine.from_engine_args(vllm.EngineArgs(**self.engine_kwargs(model_path)))
            hf_config = engine.model_config.hf_config
            self._preprocessor = tilt_processor.TiltPreprocessor.from_config(
                model_config=hf_config, tokenizer=engine.get_tokenizer().backend_tokenizer
            )
            max_tokens = self.settings.max_output_tokens or int(hf_config.max_output_length)
            self._sampling_params = vllm.SamplingParams(temperature=0, logprobs=0, max_tokens=max_tokens)
            self._processor_module = tilt_processor
            self._engine = engine
            self.model_path = model_path
            self.load_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("Arctic-TILT engine loaded from %s in %.0f ms", model_path, self.load_ms)

    # ------------------------------------------------------------------ accessors (after load)

    @property
    def hf_config(self) -> Any:
        return self._engine.model_config.hf_config

    @property
    def processor(self) -> Any:
        """The ``vllm.multimodal.tilt_processor`` module (Document, Page, Question)."""
        return self._processor_module

    @property
    def preprocessor(self) -> Any:
        return self._preprocessor

    @property
    def tokenizer(self) -> Any:
        """The fast (``tokenizers``) tokenizer the preprocessor uses, for token counting."""
        return self._engine.get_tokenizer().backend_tokenizer

    @property
    def answer_separator(self) -> str:
        return str(getattr(self.hf_config, "answer_separator", " | "))

    @property
    def max_question_length(self) -> int:
        return int(getattr(self.hf_config, "max_question_length", 256) or 0)

    @property
    def prefix_separator(self) -> str:
        return str(getattr(self.hf_config, "prefix_separator", " : "))

    # ------------------------------------------------------------------ running

    def preprocess(self, document: Any, questions: list[Any]) -> list[Any]:
        """One TiltPrompt per question, in order (see ``TiltPreprocessor.preprocess``)."""
        with self._prep_lock:
            return list(self._preprocessor.preprocess(document, questions))

    @staticmethod
    def new_request_prefix() -> str:
        """Request ids must be unique for the engine's lifetime, across jobs."""
        return uuid.uuid4().hex[:12]

    def run(self, prompts: Iterable[tuple[str, Any]]) -> tuple[dict[str, TiltOutput], dict[str, BaseException]]:
        """Add every prompt, step until all finish; return outputs and per-request add errors.

        Raises :class:`EngineStepError` when ``step()`` fails; the running requests are aborted
        first so the engine is clean for the next call.
        """
        outputs: dict[str, TiltOutput] = {}
        add_errors: dict[str, BaseException] = {}
        with self._lock:
            engine = self._engine
            added: list[str] = []
            for request_id, prompt in prompts:
                try:
                    engine.add_request(request_id=request_id, prompt=prompt, params=self._sampling_params)
                    added.append(request_id)
                except Exception as exc:  # noqa: BLE001 - one bad prompt must not sink the batch
                    add_errors[request_id] = exc
            try:
                while engine.has_unfinished_requests():
                    for out in engine.step():
                        if out.finished:
                            outputs[out.request_id] = TiltOutput.from_request_output(out)
            except Exception as exc:  # noqa: BLE001 - reported per document by the caller
                pending = [rid for rid in added if rid not in outputs]
                self._abort(pending)
                raise EngineStepError(exc, pending) from exc
        return outputs, add_errors

    def _abort(self, request_ids: list[str]) -> None:
        if not request_ids:
            return
        try:
            self._engine.abort_request(request_ids)
        except Exception:  # noqa: BLE001 - best effort; log and keep the worker alive
            log.exception("aborting %d TILT requests failed", len(request_ids))
