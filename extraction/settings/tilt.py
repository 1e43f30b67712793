"""Arctic-TILT settings (``TILT_*``): the engine's size and the document limits.

What each knob really limits in the Arctic-TILT fork of vLLM 0.8.3 (docs/gpu.md quotes the
source lines):

- ``TILT_MAX_MODEL_LEN`` bounds the *decoder* tokens of one request (the answer), not the
  document: the scheduler compares it with the decoder prompt only, and the encoder input
  (question + document) never meets it. It must exceed the longest answer.
- ``TILT_MAX_BATCHED_ENCODER_TOKENS`` is the encoder budget of one engine step; the scheduler
  spends it in whole chunks of the model's ``chunk_length`` (1024), so it must be at least one
  chunk (the fork raises at build time otherwise; :func:`check_against_model` says so first).
- The document cap per document is derived at start-up from these, the question lengths, the
  KV pool and the model's ``max_seq_length`` (``extraction/extractors/tilt/limits.py``).

Read with ``load_settings(TiltSettings)``; nothing here imports vllm or torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Mapping, Optional

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings, SettingsError

DEFAULT_MODEL_ID = "Snowflake/snowflake-arctic-tilt-v1.3"


class TiltSettings(Settings):
    """Environment of the Arctic-TILT extractor."""

    # merged with the base config by pydantic; "model_" fields are ours, not pydantic's namespace
    model_config = SettingsConfigDict(env_prefix="TILT_", protected_namespaces=())

    model_id: str = Field(DEFAULT_MODEL_ID, description="Hugging Face repository of the weights (used for the default path and reported in `engines`).")
    model_path: Optional[Path] = Field(None, description="Local weights directory; unset: the model cache finds it (`TILT_MODEL_DIR`, `MODEL_CACHE_DIR`).")
    max_model_len: int = Field(1024, ge=2, description="vLLM `max_model_len`: decoder tokens of one request (the answer), not the document; must exceed the longest answer.")
    gpu_memory_utilization: float = Field(0.8, gt=0, le=1, description="Share of total GPU memory vLLM may use (weights, activations, KV pool); leave room for PaddleOCR.")
    max_num_seqs: int = Field(16, ge=1, description="Requests (questions) decoded at once.")
    dtype: Literal["bfloat16", "float16", "float32"] = Field("bfloat16", description="Model dtype (bfloat16 needs compute capability 8.0).")
    max_batched_encoder_tokens: int = Field(4096, ge=1, description="Encoder tokens per engine step, spent in whole chunks of the model's `chunk_length` (1024): at least one chunk.")
    max_chunks_in_batch: int = Field(0, ge=0, description="Encoder chunks per engine step; 0: twice the chunks that fit the encoder budget (the fork's default).")
    max_pages: int = Field(16, ge=1, description="Pages read per document; later pages are ignored with a warning.")
    max_doc_tokens: int = Field(8192, ge=1, description="Tokens read per document at most; the start-up log and `engines` show the derived cap (encoder budget, chunk length, longest question, KV pool).")
    max_output_tokens: int = Field(0, ge=0, description="Longest answer in tokens; 0: the model's `max_output_length` (512).")
    question_style: Literal["question", "key"] = Field("question", description="`question`: natural-language questions; `key`: key names (both in `extraction/extractors/tilt/questions.json`).")
    questions_file: Optional[Path] = Field(None, description="Your own question file, in the format of the built-in `questions.json`.")
    line_items: Literal["cpu", "none"] = Field("cpu", description="`cpu`: line items from the CPU line-item parser; `none`: no line items on the GPU path.")
    split_tall_pages: bool = Field(True, description="Send a page taller than TILT's image crop (about 2.67:1) as several TILT pages, so its bottom keeps its visual features.")

    @field_validator("question_style", "line_items", "dtype", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


def check_against_model(settings: TiltSettings, hf_config: Mapping[str, Any], max_output_tokens: int) -> None:
    """Start-up checks against the model's ``config.json``; raises :class:`SettingsError`.

    Done before the engine is built, so a wrong value fails with the variable's name instead
    of a ``ValueError`` from deep inside the fork's scheduler config.
    """
    chunk = int(hf_config.get("chunk_length") or 1024)
    question = int(hf_config.get("max_question_length") or 0)
    problems = []
    if settings.max_batched_encoder_tokens < chunk:
        problems.append(
            f"environment variable TILT_MAX_BATCHED_ENCODER_TOKENS={settings.max_batched_encoder_tokens} is below the "
            f"model's chunk_length ({chunk}): the TILT scheduler encodes whole chunks; set it to at least {chunk} "
            f"(a multiple of {chunk} uses the budget fully)"
        )
    if question and question >= chunk:
        problems.append(f"the model's max_question_length ({question}) leaves no room in a {chunk}-token chunk")
    if settings.max_model_len <= max_output_tokens:
        problems.append(
            f"environment variable TILT_MAX_MODEL_LEN={settings.max_model_len} must exceed the longest answer "
            f"({max_output_tokens} tokens: TILT_MAX_OUTPUT_TOKENS or the model's max_output_length) plus the "
            "decoder's start token"
        )
    if problems:
        raise SettingsError("; ".join(problems))
