"""Fake V0 ``LLMEngine`` for Arctic-TILT: the real method names, arguments, output objects and failures.

Scheduling follows the fork's ``vllm/tilt/scheduler.py`` (``Scheduler.schedule`` and
``_get_num_new_tokens``): an encoder budget per step spent in whole chunks of
``chunk_length``, each chunk carrying the question again; a request's decoder token only once
its whole document is encoded; running requests first, then waiting ones; a request whose KV
(question + document + answer) can never fit the pool finishes as ignored. Like the real one:

- a step in which no scheduled request has a decoder token raises ``TypeError`` (the TILT
  model runner's ``SamplerOutput()`` lacks its required ``outputs``), unless the fork carries
  the ``empty-step-sampler-output`` patch (``vllm.tilt.PATCHES``);
- ``abort_request`` calls ``abort_seq_group(..., seq_id_to_seq_group=...)`` on the TILT
  scheduler, whose signature has no such argument: ``TypeError``, unless patched;
- a failed step leaves the scheduled requests in the scheduler (the state moved by
  ``schedule()`` is not rolled back).

``behaviour`` scripts the answers and the extra failures (see :class:`Behaviour`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Optional, Union

import vllm.tilt
from vllm.engine.arg_utils import EngineArgs
from vllm.multimodal.tilt_processor import FakeTiltPrompt, FakeTokenizer, piece_id, pieces
from vllm.outputs import CompletionOutput, RequestOutput
from vllm.sampling_params import SamplingParams
from vllm.sequence import Logprob
from vllm.tilt.scheduler import Scheduler, TiltSchedulerConfig

#: Block size of the KV cache (vLLM's default for CUDA).
BLOCK_SIZE = 16


@dataclass
class FakeAnswer:
    text: str
    min_prob: float = 0.9  # probability of the least likely generated token


def _cuda_fault() -> BaseException:
    return RuntimeError("CUDA error: an illegal memory access was encountered")


@dataclass
class Behaviour:
    #: (document ident, feature name) -> answer; anything else answers ``default``.
    answers: dict = field(default_factory=dict)
    default: Union[str, FakeAnswer] = ""
    #: KV pool in tokens (the real one is sized from gpu_memory_utilization after profiling).
    kv_capacity_tokens: int = 140_000
    #: document idents whose requests ``add_request`` rejects with ValueError.
    add_error_docs: set = field(default_factory=set)
    #: document idents whose requests make ``step()`` raise ``step_error()`` while they run.
    step_error_docs: set = field(default_factory=set)
    step_error: Callable[[], BaseException] = _cuda_fault
    #: the scheduler's abort removes nothing (state that no abort can clean).
    abort_keeps_requests: bool = False
    #: False: ``cache_config.num_gpu_blocks`` reads None (the extractor then cannot size documents to the pool).
    report_kv_blocks: bool = True
    # what happened, for assertions
    built: list = field(default_factory=list)
    added: list = field(default_factory=list)
    steps: list = field(default_factory=list)  # request ids scheduled per step
    encoder_only_steps: int = 0
    aborted: list = field(default_factory=list)


@dataclass
class _Request:
    request_id: str
    prompt: FakeTiltPrompt
    params: SamplingParams
    pieces: list[str]
    probs: list[float]
    encoded: int = 0  # document tokens already encoded
    emitted: int = 0  # decoder tokens generated

    @property
    def encoding_done(self) -> bool:
        return self.encoded >= self.prompt.encoder_tokens


class LLMEngine:
    behaviour = Behaviour()

    def __init__(self, args: EngineArgs) -> None:
        self.args = args
        hf_config = SimpleNamespace(  # the attributes of the fork's TiltConfig that its code reads
            max_output_length=512,
            answer_separator=" | ",
            prefix_separator=" : ",
            max_question_length=256,
            max_seq_length=125000,
            chunk_length=1024,
            max_images_in_chunk=4,
            image_limit=250,
            image_width=768,
            max_image_height=2048,
            crop_bboxes=True,
        )
        try:  # like the real engine, the config comes from the weights' config.json
            config = json.loads((Path(args.model) / "config.json").read_text())
        except (OSError, ValueError):
            config = {}
        for key, value in config.items():
            if hasattr(hf_config, key):
                setattr(hf_config, key, value)
        self.model_config = SimpleNamespace(model=args.model, max_model_len=args.max_model_len or 125000, hf_config=hf_config)
        extra = args.additional_config or {}
        # Raises ValueError for a budget below one chunk, like the fork's TiltSchedulerConfig.
        self.scheduler_config = TiltSchedulerConfig(
            max_num_batched_tokens=max(args.max_model_len or 125000, 2048),
            max_num_seqs=args.max_num_seqs or 256,
            max_model_len=args.max_model_len or 125000,
            encoder_chunk_size=hf_config.chunk_length,
            **{k: v for k, v in extra.items() if k in ("max_num_batched_encoder_tokens", "max_chunks_in_batch")},
        )
        blocks = self.behaviour.kv_capacity_tokens // BLOCK_SIZE
        self.cache_config = SimpleNamespace(block_size=BLOCK_SIZE, num_gpu_blocks=blocks)
        self._reported_blocks = blocks if self.behaviour.report_kv_blocks else None
        self.scheduler = [Scheduler(self.behaviour)]
        self.seq_id_to_seq_group: dict = {}
        self._tokenizer = SimpleNamespace(backend_tokenizer=FakeTokenizer())
        self._ids: set[str] = set()

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_engine_args(cls, engine_args: EngineArgs, usage_context: Any = None, stat_loggers: Any = None) -> "LLMEngine":
        if not isinstance(engine_args, EngineArgs):
            raise TypeError("from_engine_args expects EngineArgs")
        if engine_args.task != "tilt_generate":
            raise ValueError("TILT runner type is 'tilt': task must be 'tilt_generate'")
        if engine_args.scheduler_cls != "vllm.tilt.scheduler.Scheduler":
            raise ValueError("TILT needs scheduler_cls='vllm.tilt.scheduler.Scheduler'")
        if engine_args.enforce_eager is not True:
            raise NotImplementedError("CUDA graphs are not supported for TILT: set enforce_eager=True")
        if not engine_args.disable_async_output_proc:
            raise AssertionError("the TILT scheduler requires disable_async_output_proc=True")
        if os.environ.get("VLLM_ATTENTION_BACKEND") != "XFORMERS":
            raise RuntimeError("TILT needs VLLM_ATTENTION_BACKEND=XFORMERS set before the engine is built")
        if os.environ.get("VLLM_USE_V1") != "0":
            raise RuntimeError("TILT runs on the V0 engine: set VLLM_USE_V1=0")
        if not (Path(engine_args.model) / "config.json").is_file():
            raise OSError(f"no local model at {engine_args.model} (HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE')})")
        engine = cls(engine_args)
        if engine.cache_config.num_gpu_blocks * BLOCK_SIZE < engine.model_config.max_model_len:
            raise ValueError("The model's max seq len is larger than the maximum number of tokens that can be stored in KV cache")
        engine.scheduler_cache = SimpleNamespace(**vars(engine.cache_config))
        engine.cache_config.num_gpu_blocks = engine._reported_blocks
        cls.behaviour.built.append(
            {"args": engine_args, "env": {k: os.environ.get(k) for k in ("VLLM_ATTENTION_BACKEND", "VLLM_USE_V1", "HF_HUB_OFFLINE")}}
        )
        return engine

    def get_tokenizer(self, lora_request: Any = None) -> Any:
        return self._tokenizer

    def get_model_config(self) -> Any:
        return self.model_config

    # ------------------------------------------------------------------ requests

    def add_request(self, request_id: str, prompt: Any = None, params: Any = None, arrival_time: Any = None,
                    lora_request: Any = None, trace_headers: Any = None, prompt_adapter_request: Any = None,
                    priority: int = 0) -> None:
        if not isinstance(request_id, str):
            raise TypeError("request_id must be a str")
        if not isinstance(prompt, FakeTiltPrompt):
            raise TypeError("prompt must be a TiltPrompt from TiltPreprocessor.preprocess")
        if not isinstance(params, SamplingParams):
            raise TypeError("params must be SamplingParams")
        # Like the real engine, no encoder-length check here: for TILT, add_request only validates
        # the decoder prompt; a document too big for the KV pool is *ignored* by the scheduler.
        if prompt.document_ident in self.behaviour.add_error_docs:
            raise ValueError("Prompt cannot be empty")
        if request_id in self._ids:
            raise ValueError(f"duplicate request id {request_id}")
        b = self.behaviour
        answer = b.answers.get((prompt.document_ident, prompt.feature_name), b.default)
        if isinstance(answer, str):
            answer = FakeAnswer(answer)
        toks = pieces(answer.text)
        probs = [0.999] * len(toks)
        if toks:
            probs[len(toks) // 2] = answer.min_prob
        self._ids.add(request_id)
        b.added.append((request_id, prompt))
        self.scheduler[0].waiting.append(_Request(request_id, prompt, params, toks, probs))

    def abort_request(self, request_id: Union[str, Iterable[str]]) -> None:
        # vllm/engine/llm_engine.py:926-928 (the fork): the upstream call, for the TILT scheduler too
        for scheduler in self.scheduler:
            scheduler.abort_seq_group(request_id, seq_id_to_seq_group=self.seq_id_to_seq_group)

    def has_unfinished_requests(self) -> bool:
        return any(s.has_unfinished_seqs() for s in self.scheduler)

    def get_num_unfinished_requests(self) -> int:
        return sum(s.get_num_unfinished_seq_groups() for s in self.scheduler)

    # ------------------------------------------------------------------ stepping

    def step(self) -> list[RequestOutput]:
        b = self.behaviour
        scheduler = self.scheduler[0]
        planned, ignored = scheduler.schedule(self.scheduler_config, self.scheduler_cache)
        outputs = [self._output(req, finished=True, ignored=True) for req in ignored]
        b.steps.append([req.request_id for req, _, _ in planned])
        if planned and any(req.prompt.document_ident in b.step_error_docs for req, _, _ in planned):
            raise b.step_error()
        if planned and not any(decode for _, _, decode in planned):
            b.encoder_only_steps += 1
            if "empty-step-sampler-output" not in vllm.tilt.PATCHES:
                # vllm/worker/tilt_model_runner.py:789 returns [SamplerOutput()]; msgspec requires `outputs`
                raise TypeError("Missing required argument 'outputs'")
        for req, encoder_tokens, decode in planned:
            req.encoded += encoder_tokens
            if not decode:
                continue
            req.emitted += 1
            limit = req.params.max_tokens or 16
            done_stop = req.emitted >= len(req.pieces) + 1  # + EOS
            finished = done_stop or req.emitted >= limit
            outputs.append(self._output(req, finished=finished, reason="stop" if done_stop else "length"))
            if finished:
                scheduler.running.remove(req)
        return outputs

    @staticmethod
    def _output(req: _Request, finished: bool, reason: str = "stop", ignored: bool = False) -> RequestOutput:
        if ignored:
            completion = CompletionOutput(0, "", [], None, [], "length")
        else:
            n = min(req.emitted, len(req.pieces))
            emitted = req.pieces[:n]
            ids = [piece_id(p) for p in emitted]
            lps = [{tid: Logprob(math.log(p), 1, piece)} for tid, p, piece in zip(ids, req.probs[:n], emitted)]
            if req.emitted > len(req.pieces):  # EOS generated too
                ids.append(FakeTokenizer.eos_id)
                lps.append({FakeTokenizer.eos_id: Logprob(math.log(0.999), 1, "</s>")})
            completion = CompletionOutput(
                0, "".join(emitted).strip(), ids, sum(next(iter(d.values())).logprob for d in lps), lps,
                reason if finished else None,
            )
        return RequestOutput(req.request_id, None, [], None, [completion], finished)
