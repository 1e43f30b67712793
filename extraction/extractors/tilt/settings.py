"""TILT configuration read from the environment, plus the cheap model-path lookup.

Kept free of vllm/torch imports: ``is_available()`` and the CPU test-suite read it.
Every engine knob has an env override so a deployment can size the KV pool to its GPU
without a code change (see docs/gpu.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from extraction.config import env_float, env_int, env_str

DEFAULT_MODEL_ID = "Snowflake/snowflake-arctic-tilt-v1.3"
#: Where weights live when neither TILT_MODEL_PATH nor the model cache says otherwise.
DEFAULT_MODELS_DIR = "/runpod-volume/models"


@dataclass
class TiltSettings:
    model_id: str = DEFAULT_MODEL_ID
    model_path: Optional[Path] = None  # None: resolve through the model cache / default dir
    max_model_len: int = 32768
    gpu_memory_utilization: float = 0.8
    max_num_seqs: int = 16
    dtype: str = "bfloat16"
    max_num_batched_encoder_tokens: int = 4096
    max_chunks_in_batch: int = 0
    max_pages: int = 16
    max_doc_tokens: int = 8192
    max_output_tokens: int = 0  # 0: the model config's max_output_length
    question_style: str = "question"  # "question" | "key"
    questions_file: Optional[Path] = None
    line_items: str = "cpu"  # "cpu" (CPU parser) | "none"
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "TiltSettings":
        path = os.environ.get("TILT_MODEL_PATH", "").strip()
        questions = os.environ.get("TILT_QUESTIONS_FILE", "").strip()
        style = env_str("TILT_QUESTION_STYLE", "question").lower()
        if style not in ("question", "key"):
            raise ValueError(f"TILT_QUESTION_STYLE must be 'question' or 'key', got {style!r}")
        line_items = env_str("TILT_LINE_ITEMS", "cpu").lower()
        if line_items not in ("cpu", "none"):
            raise ValueError(f"TILT_LINE_ITEMS must be 'cpu' or 'none', got {line_items!r}")
        return cls(
            model_id=env_str("TILT_MODEL_ID", DEFAULT_MODEL_ID),
            model_path=Path(path) if path else None,
            max_model_len=env_int("TILT_MAX_MODEL_LEN", 32768),
            gpu_memory_utilization=env_float("TILT_GPU_MEMORY_UTILIZATION", 0.8),
            max_num_seqs=env_int("TILT_MAX_NUM_SEQS", 16),
            dtype=env_str("TILT_DTYPE", "bfloat16"),
            max_num_batched_encoder_tokens=env_int("TILT_MAX_BATCHED_ENCODER_TOKENS", 4096),
            max_chunks_in_batch=env_int("TILT_MAX_CHUNKS_IN_BATCH", 0),
            max_pages=env_int("TILT_MAX_PAGES", 16),
            max_doc_tokens=env_int("TILT_MAX_DOC_TOKENS", 8192),
            max_output_tokens=env_int("TILT_MAX_OUTPUT_TOKENS", 0),
            question_style=style,
            questions_file=Path(questions) if questions else None,
            line_items=line_items,
        )

    def resolved_model_path(self) -> Path:
        """The local weights directory, without downloading anything."""
        if self.model_path is not None:
            return self.model_path
        return default_model_path(self.model_id)

    @property
    def doc_token_cap(self) -> int:
        """Tokens kept per document: never more than what fits ``max_model_len`` beside a question."""
        return max(1, min(self.max_doc_tokens, self.max_model_len - 512))


def default_model_path(model_id: str = DEFAULT_MODEL_ID) -> Path:
    """Where the weights are when TILT_MODEL_PATH is unset, without any network call.

    The model cache package (``model_cache.locate("tilt")``) knows every place a copy may be
    (its managed dir, RunPod's cached-model layout, ``TILT_MODEL_DIR``); without it, or when it
    finds nothing, the conventional ``$MODEL_CACHE_DIR/<org>--<name>`` is returned.
    """
    try:
        import model_cache  # type: ignore[import-not-found]  # noqa: PLC0415

        found = model_cache.locate("tilt")
        if found is not None:
            return Path(found)
    except Exception:  # noqa: BLE001 - cache package absent or broken: fall back to the default dir
        pass
    root = Path(os.environ.get("MODEL_CACHE_DIR", DEFAULT_MODELS_DIR))
    return root / model_id.replace("/", "--")


def weights_present(path: Path) -> bool:
    """A directory with a config and at least one weight file (safetensors or bin)."""
    try:
        if not (path / "config.json").is_file():
            return False
        return any(path.glob("*.safetensors")) or any(path.glob("*.bin"))
    except OSError:
        return False
