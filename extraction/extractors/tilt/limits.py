"""The document limits the Arctic-TILT fork really has, derived once the engine is built.

Why derived and not one setting: in the fork (vLLM 0.8.3 + TILT, see docs/gpu.md for the
source lines) a document is bounded by

- the model's ``max_seq_length`` (125000): the preprocessor truncates there;
- the KV pool: one request's cross-attention KV holds question + document tokens, and a
  request that can never fit is finished as *ignored*;
- the encoder budget per step: the scheduler encodes ``budget // chunk_length`` chunks per
  step, each carrying the question again, so ``chunk_length - question tokens`` document
  tokens per chunk. A document that needs more than one step's worth of chunks, with nothing
  else decoding, makes a step without any decoder token, and the unpatched model runner's
  ``SamplerOutput()`` raises there. Our wheel is built with that fixed
  (``builder/tilt-patches/``); with an unpatched fork the cap keeps every document within one
  step.

``TILT_MAX_DOC_TOKENS`` stays an upper bound on top of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

#: What the fork's patch series records in ``vllm.tilt.PATCHES`` (see builder/tilt-patches/).
EMPTY_STEP_PATCH = "empty-step-sampler-output"
ABORT_PATCH = "scheduler-abort-signature"

#: ``TiltBlockSpaceManager`` keeps this share of KV blocks free (vLLM's default watermark).
KV_WATERMARK = 0.01


@dataclass(frozen=True)
class TiltLimits:
    chunk_length: int = 1024
    max_seq_length: int = 125000
    max_question_length: int = 256
    image_limit: int = 250
    image_width: int = 768
    max_image_height: int = 2048
    max_images_in_chunk: int = 4
    max_output_tokens: int = 512
    #: whole encoder chunks one request may get in one step
    chunks_per_step: int = 4
    #: tokens the KV pool holds for one request (None: unknown)
    kv_tokens: Optional[int] = None
    #: the installed fork runs steps with no decoder token (our patch)
    empty_step_fixed: bool = False
    max_doc_tokens: int = 8192

    @property
    def max_page_ratio(self) -> float:
        """Height/width above which the fork crops a page image (it resizes to ``image_width``, keeps ``max_image_height``)."""
        return self.max_image_height / self.image_width

    def single_step_tokens(self, question_tokens: int) -> int:
        """Document tokens the scheduler encodes for one request in one step."""
        return self.chunks_per_step * max(0, self.chunk_length - question_tokens)

    def doc_token_cap(self, question_tokens: int) -> int:
        """Tokens one document may send when its longest question has ``question_tokens`` tokens."""
        cap = min(self.max_doc_tokens, self.max_seq_length)
        if not self.empty_step_fixed:
            cap = min(cap, self.single_step_tokens(question_tokens))
        if self.kv_tokens is not None:
            cap = min(cap, self.kv_tokens - question_tokens - self.max_output_tokens - 1)
        return max(0, cap)

    def describe(self, question_tokens: int) -> dict[str, Any]:
        return {
            "doc_token_cap": self.doc_token_cap(question_tokens),
            "for_question_tokens": question_tokens,
            "chunk_length": self.chunk_length,
            "chunks_per_step": self.chunks_per_step,
            "kv_tokens": self.kv_tokens,
            "empty_step_fixed": self.empty_step_fixed,
            "max_page_ratio": round(self.max_page_ratio, 3),
        }


def chunks_per_step(budget: int, chunk_length: int, max_chunks_in_batch: int) -> int:
    """The fork's ``TiltSchedulerConfig``: ``max_chunks_in_batch`` 0 means twice the full chunks."""
    full = budget // chunk_length
    limit = max_chunks_in_batch or 2 * full
    return max(0, min(full, limit))


def kv_tokens(engine: Any) -> Optional[int]:
    """Tokens one request may hold in the KV pool: blocks minus the watermark, minus two partial blocks."""
    cache = getattr(engine, "cache_config", None)
    blocks = getattr(cache, "num_gpu_blocks", None)
    block_size = getattr(cache, "block_size", None)
    if not isinstance(blocks, int) or not isinstance(block_size, int) or blocks <= 0:
        return None
    usable = blocks - int(KV_WATERMARK * blocks) - 2
    return max(0, usable * block_size)


def fork_patches(vllm_tilt_module: Any) -> tuple[str, ...]:
    """The patches our wheel build applied to the fork (empty for an unpatched fork)."""
    return tuple(getattr(vllm_tilt_module, "PATCHES", ()) or ())


def limits_from(hf_config: Any, settings: Any, *, engine: Any = None, patches: tuple[str, ...] = (),
                max_output_tokens: int = 512) -> TiltLimits:
    """:class:`TiltLimits` from the model config (``TiltConfig`` attributes), the settings and the engine."""

    def attr(name: str, default: int) -> int:
        value = getattr(hf_config, name, None)
        return int(value) if isinstance(value, (int, float)) and value else default

    chunk = attr("chunk_length", 1024)
    return TiltLimits(
        chunk_length=chunk,
        max_seq_length=attr("max_seq_length", 125000),
        max_question_length=attr("max_question_length", 256),
        image_limit=attr("image_limit", 250),
        image_width=attr("image_width", 768),
        max_image_height=attr("max_image_height", 2048),
        max_images_in_chunk=attr("max_images_in_chunk", 4),
        max_output_tokens=max_output_tokens,
        chunks_per_step=chunks_per_step(settings.max_batched_encoder_tokens, chunk, settings.max_chunks_in_batch),
        kv_tokens=kv_tokens(engine) if engine is not None else None,
        empty_step_fixed=EMPTY_STEP_PATCH in patches,
        max_doc_tokens=settings.max_doc_tokens,
    )
