"""Fake ``vllm.tilt.scheduler``: the fork's budget arithmetic and its ``abort_seq_group`` signature.

``encoder_plan`` is ``Scheduler._get_num_new_tokens`` of the fork (vllm/tilt/scheduler.py:881-961)
for one request; ``Scheduler.schedule`` keeps its order (running requests first, a running
request that gets nothing stops the loop, then waiting requests while the budgets last) and
its KV check (``TiltBlockSpaceManager.can_allocate``: question + document + decoder blocks,
a 1 % watermark; a request that can never fit is ignored).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable, Union

import vllm.tilt

WATERMARK = 0.01


@dataclass
class TiltSchedulerConfig:
    max_num_batched_tokens: int
    max_num_seqs: int
    max_model_len: int
    max_num_batched_encoder_tokens: int = 4096
    max_chunks_in_batch: int = 0
    encoder_chunk_size: int = 1024

    def __post_init__(self) -> None:  # vllm/tilt/scheduler.py:43-53
        if self.max_num_batched_encoder_tokens < self.encoder_chunk_size:
            raise ValueError(
                f"max_num_batched_encoder_tokens ({self.max_num_batched_encoder_tokens}) must be greater than "
                f"or equal to encoder_chunk_size ({self.encoder_chunk_size})."
            )
        if self.max_chunks_in_batch == 0:
            self.max_chunks_in_batch = 2 * (self.max_num_batched_encoder_tokens // self.encoder_chunk_size)


def encoder_plan(remaining: int, prefix: int, chunk: int, budget_left: int, chunks_left: int) -> tuple[int, int, int]:
    """(document tokens encoded, budget spent, chunks used) for one request in one step."""
    usable = chunk - prefix
    assert usable > 0
    chunks = min(budget_left // chunk, remaining // usable, chunks_left)
    new, spent = chunks * usable, chunks * chunk
    rest = remaining - new
    if 0 < rest < usable and rest + prefix < budget_left - spent and chunks_left > chunks:
        new += rest
        spent += rest + prefix
        chunks += 1
    return new, spent, chunks


def _blocks(tokens: int, block_size: int) -> int:
    return -(-tokens // block_size)


class Scheduler:
    def __init__(self, behaviour: Any = None) -> None:
        self.behaviour = behaviour
        self.waiting: deque = deque()
        self.running: deque = deque()

    def abort_seq_group(self, request_id: Union[str, Iterable[str]], **kwargs: Any) -> None:
        # The fork's signature is abort_seq_group(self, request_id) (vllm/tilt/scheduler.py:368);
        # the patch adds the keyword LLMEngine.abort_request passes.
        if kwargs and "scheduler-abort-signature" not in vllm.tilt.PATCHES:
            raise TypeError(f"Scheduler.abort_seq_group() got an unexpected keyword argument '{next(iter(kwargs))}'")
        ids = {request_id} if isinstance(request_id, str) else set(request_id)
        if self.behaviour is not None:
            self.behaviour.aborted.extend(sorted(ids))
            if self.behaviour.abort_keeps_requests:
                return
        self.waiting = deque(r for r in self.waiting if r.request_id not in ids)
        self.running = deque(r for r in self.running if r.request_id not in ids)

    def has_unfinished_seqs(self) -> bool:
        return bool(self.waiting or self.running)

    def get_num_unfinished_seq_groups(self) -> int:
        return len(self.waiting) + len(self.running)

    def schedule(self, config: TiltSchedulerConfig, cache: Any) -> tuple[list, list]:
        """[(request, document tokens encoded, gets a decoder token)], [ignored requests]."""
        chunk = config.encoder_chunk_size
        budget, chunks_left, seqs_left = config.max_num_batched_encoder_tokens, config.max_chunks_in_batch, config.max_num_seqs
        planned: list = []
        for req in list(self.running):
            if seqs_left == 0:
                break
            remaining = req.prompt.encoder_tokens - req.encoded
            if remaining <= 0:
                planned.append((req, 0, True))
                seqs_left -= 1
                continue
            new, spent, used = encoder_plan(remaining, req.prompt.question_tokens, chunk, budget, chunks_left)
            if new == 0:
                break  # "No budget => Stop"
            planned.append((req, new, new == remaining))
            budget, chunks_left, seqs_left = budget - spent, chunks_left - used, seqs_left - 1
        ignored: list = []
        total_blocks = cache.num_gpu_blocks
        watermark = int(WATERMARK * total_blocks)
        used_blocks = sum(self._need(r, cache.block_size) for r in self.running)
        while self.waiting and seqs_left > 0:
            req = self.waiting[0]
            need = self._need(req, cache.block_size)
            if total_blocks - need < watermark:
                self.waiting.popleft()
                ignored.append(req)
                continue
            if total_blocks - used_blocks - need < watermark:
                break  # AllocStatus.LATER
            new, spent, used = encoder_plan(req.prompt.encoder_tokens, req.prompt.question_tokens, chunk, budget, chunks_left)
            if new == 0:
                break
            self.waiting.popleft()
            self.running.append(req)
            used_blocks += need
            planned.append((req, new, new == req.prompt.encoder_tokens))
            budget, chunks_left, seqs_left = budget - spent, chunks_left - used, seqs_left - 1
        return planned, ignored

    @staticmethod
    def _need(req: Any, block_size: int) -> int:
        decoder = 1 + (req.params.max_tokens or 16)
        return _blocks(decoder, block_size) + _blocks(req.prompt.question_tokens + req.prompt.encoder_tokens, block_size)
