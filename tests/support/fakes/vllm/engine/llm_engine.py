"""Fake V0 ``LLMEngine`` for Arctic-TILT: the real method names, arguments and output objects.

Scheduling is simulated: at most ``max_num_seqs`` requests run at once, each emits one token
per ``step()``; a request whose KV need exceeds ``behaviour.kv_capacity_tokens`` finishes as
ignored (text "", logprobs [], finish_reason "length"). ``behaviour`` scripts the answers and
failures (see :class:`Behaviour`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Optional, Union

from vllm.engine.arg_utils import EngineArgs
from vllm.multimodal.tilt_processor import FakeTiltPrompt, FakeTokenizer, piece_id, pieces
from vllm.outputs import CompletionOutput, RequestOutput
from vllm.sampling_params import SamplingParams
from vllm.sequence import Logprob


@dataclass
class FakeAnswer:
    text: str
    min_prob: float = 0.9  # probability of the least likely generated token


@dataclass
class Behaviour:
    #: (document ident, feature name) -> answer; anything else answers ``default``.
    answers: dict = field(default_factory=dict)
    default: Union[str, FakeAnswer] = ""
    kv_capacity_tokens: int = 10**9
    #: document idents whose requests ``add_request`` rejects with ValueError.
    add_error_docs: set = field(default_factory=set)
    #: document idents whose requests make ``step()`` raise while they run.
    step_error_docs: set = field(default_factory=set)
    #: the suspected first-step bug: a step that only holds new requests, all over this many
    #: encoder tokens, raises TypeError (SamplerOutput() without outputs). None: off.
    first_step_bug_tokens: Optional[int] = None
    # what happened, for assertions
    built: list = field(default_factory=list)
    added: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    aborted: list = field(default_factory=list)


@dataclass
class _Running:
    request_id: str
    prompt: FakeTiltPrompt
    params: SamplingParams
    pieces: list[str]
    probs: list[float]
    emitted: int = 0


class LLMEngine:
    behaviour = Behaviour()

    def __init__(self, args: EngineArgs) -> None:
        self.args = args
        self.model_config = SimpleNamespace(
            model=args.model,
            max_model_len=args.max_model_len or 125000,
            hf_config=SimpleNamespace(
                max_output_length=512,
                answer_separator=" | ",
                prefix_separator=" : ",
                max_question_length=256,
                max_seq_length=125000,
                image_limit=250,
                image_width=768,
                max_image_height=2048,
                crop_bboxes=True,
            ),
        )
        self._tokenizer = SimpleNamespace(backend_tokenizer=FakeTokenizer())
        self._waiting: list[_Running] = []
        self._running: list[_Running] = []
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
        self._waiting.append(_Running(request_id, prompt, params, toks, probs))

    def abort_request(self, request_id: Union[str, Iterable[str]]) -> None:
        ids = {request_id} if isinstance(request_id, str) else set(request_id)
        self.behaviour.aborted.extend(sorted(ids))
        self._waiting = [r for r in self._waiting if r.request_id not in ids]
        self._running = [r for r in self._running if r.request_id not in ids]

    def has_unfinished_requests(self) -> bool:
        return bool(self._waiting or self._running)

    # ------------------------------------------------------------------ stepping

    def step(self) -> list[RequestOutput]:
        b = self.behaviour
        outputs: list[RequestOutput] = []
        max_seqs = self.args.max_num_seqs or 256
        new: list[_Running] = []
        while self._waiting and len(self._running) < max_seqs:
            req = self._waiting.pop(0)
            need = req.prompt.encoder_tokens + req.prompt.question_tokens
            if need > b.kv_capacity_tokens:
                outputs.append(self._output(req, finished=True, ignored=True))
                continue
            self._running.append(req)
            new.append(req)
        b.steps.append([r.request_id for r in self._running])
        if any(r.prompt.document_ident in b.step_error_docs for r in self._running):
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        if (
            b.first_step_bug_tokens is not None
            and self._running
            and len(new) == len(self._running)
            and all(r.prompt.encoder_tokens > b.first_step_bug_tokens for r in self._running)
        ):
            raise TypeError("SamplerOutput.__init__() missing 1 required positional argument: 'outputs'")
        still: list[_Running] = []
        for req in self._running:
            req.emitted += 1
            limit = req.params.max_tokens or 16
            done_stop = req.emitted >= len(req.pieces) + 1  # + EOS
            done_len = req.emitted >= limit
            finished = done_stop or done_len
            outputs.append(self._output(req, finished=finished, reason="stop" if done_stop else "length"))
            if not finished:
                still.append(req)
        self._running = still
        return outputs

    @staticmethod
    def _output(req: _Running, finished: bool, reason: str = "stop", ignored: bool = False) -> RequestOutput:
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
