"""The in-process Arctic-TILT engine: construction and the step loop, behind one lock.

Why V0 ``LLMEngine`` and these exact arguments: the TILT fork of vLLM only runs through its
own scheduler, rejects CUDA graphs and async output processing, and needs the xformers
attention backend (see docs/gpu.md). vllm is imported here only, and only in :meth:`load`.

After a failed ``step()`` the engine must be left empty, or every later job fails on the same
requests: the fork's ``LLMEngine.abort_request`` passes ``seq_id_to_seq_group=`` to a TILT
scheduler whose ``abort_seq_group`` does not take it (a ``TypeError`` on every abort), so
requests are aborted through the scheduler itself when the engine cannot. A CUDA error, or
requests that survive the abort, leave nothing a later job could trust: the worker raises
:class:`~extraction.errors.FatalWorkerError` and is replaced.
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

from extraction.errors import FatalWorkerError
from extraction.extractors.tilt.limits import ABORT_PATCH, TiltLimits, fork_patches, limits_from
from extraction.extractors.tilt.weights import read_model_config, resolve_model_path, weights_present
from extraction.settings.tilt import TiltSettings, check_against_model

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


#: Messages of errors after which the CUDA context (and so this process) is unusable.
_CUDA_FATAL = (
    "CUDA error", "illegal memory access", "device-side assert", "CUBLAS_STATUS", "CUDNN_STATUS",
    "cuDNN error", "NCCL error", "unspecified launch failure", "Xid",
)


def is_cuda_fatal(exc: BaseException) -> bool:
    """A CUDA fault poisons the process's context: nothing on the GPU can run after it."""
    text = f"{type(exc).__name__}: {exc}"
    return any(marker in text for marker in _CUDA_FATAL)


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
        self.limits = TiltLimits()
        self.patches: tuple[str, ...] = ()
        #: the engine's own abort works (patched fork); else abort through the scheduler
        self._engine_abort_ok = False

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
            max_model_len=s.max_model_len,  # decoder tokens per request (the answer), not the document
            gpu_memory_utilization=s.gpu_memory_utilization,
            max_num_seqs=s.max_num_seqs,
            # The sync EngineArgs has no ``disable_log_requests`` (only AsyncEngineArgs does;
            # passing it raises TypeError); the V0 LLMEngine does not log requests anyway.
            disable_log_stats=True,
            additional_config={
                "max_num_batched_encoder_tokens": s.max_batched_encoder_tokens,
                "max_chunks_in_batch": s.max_chunks_in_batch,
            },
        )

    def load(self) -> None:
        """Build the engine once (idempotent). Raises if vllm or the weights are missing, or a setting is wrong."""
        with self._lock:
            if self._engine is not None:
                return
            started = time.perf_counter()
            model_path = resolve_model_path(self.settings)
            if not weights_present(model_path):
                raise FileNotFoundError(
                    f"Arctic-TILT weights not found at {model_path}: set TILT_MODEL_PATH or populate the model cache"
                )
            config = read_model_config(model_path)
            max_tokens = self.settings.max_output_tokens or int(config.get("max_output_length") or 512)
            check_against_model(self.settings, config, max_tokens)
            for key, value in REQUIRED_ENV.items():
                os.environ[key] = value  # read by vllm at import/build time, so set before importing it
            import vllm  # noqa: PLC0415 - heavy GPU import, only on the GPU path
            import vllm.tilt  # noqa: PLC0415
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
            self.patches = fork_patches(vllm.tilt)
            self._engine_abort_ok = ABORT_PATCH in self.patches
            self.limits = limits_from(hf_config, self.settings, engine=engine, patches=self.patches,
                                      max_output_tokens=max_tokens)
            self.model_path = model_path
            self.load_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info(
                "Arctic-TILT engine loaded from %s in %.0f ms; fork patches %s; document cap %d tokens "
                "(for a %d-token question; encoder budget %d in %d-token chunks, KV pool %s tokens)",
                model_path, self.load_ms, list(self.patches) or "none",
                self.limits.doc_token_cap(self.max_question_length), self.max_question_length,
                self.settings.max_batched_encoder_tokens, self.limits.chunk_length, self.limits.kv_tokens,
            )

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

        Raises :class:`EngineStepError` when ``step()`` fails and the engine could be emptied
        (the caller may retry), :class:`FatalWorkerError` when it could not, or on a CUDA fault.
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
                if is_cuda_fatal(exc):
                    raise FatalWorkerError(f"the GPU failed during a TILT step ({type(exc).__name__}: {exc}); "
                                           "the worker must restart") from exc
                self._abort(pending)
                raise EngineStepError(exc, pending) from exc
        return outputs, add_errors

    def _abort(self, request_ids: list[str]) -> None:
        """Remove ``request_ids`` from the engine; raise :class:`FatalWorkerError` if anything stays."""
        engine = self._engine
        if request_ids:
            done = False
            if self._engine_abort_ok:
                try:
                    engine.abort_request(request_ids)
                    done = True
                except Exception:  # noqa: BLE001 - fall back to the scheduler below
                    log.exception("LLMEngine.abort_request failed for %d TILT requests", len(request_ids))
            if not done:
                try:
                    # The TILT scheduler's own signature: abort_seq_group(request_id).
                    for scheduler in engine.scheduler:
                        scheduler.abort_seq_group(request_ids)
                except Exception as exc:
                    raise FatalWorkerError(
                        f"TILT requests could not be aborted after a failed step ({type(exc).__name__}: {exc}); "
                        "the worker must restart"
                    ) from exc
        if engine.has_unfinished_requests():
            raise FatalWorkerError(
                f"the TILT engine still holds {engine.get_num_unfinished_requests()} requests after a failed step "
                "and aborting them; the worker must restart"
            )
