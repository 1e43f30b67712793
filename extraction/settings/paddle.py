"""PaddleOCR settings (``PADDLE_*``): where Paddle runs and how PaddleOCR 3.x is built.

The model names and directories (``PADDLE_DET_MODEL``, ``PADDLE_REC_MODEL_DIR``...) belong to
the model cache's table (``model_cache/registry.py``), not here.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings


class PaddleSettings(Settings):
    """Environment of the PaddleOCR engine."""

    model_config = SettingsConfigDict(env_prefix="PADDLE_")

    mode: Literal["inprocess", "subprocess"] = Field("inprocess", description="`subprocess`: Paddle runs in a child process (its CUDA libraries never meet torch/vLLM's); `inprocess`: in the worker.")
    python: Optional[str] = Field(None, description="Interpreter of the child process with `PADDLE_MODE=subprocess` (another virtualenv's Python); unset: the worker's own.")
    device: str = Field("auto", pattern=r"^(auto|cpu|gpu(:\d+)?)$", description="`gpu:0`, `cpu` or `auto` (a GPU when an NVIDIA device is visible). On a GPU device a broken CUDA setup fails start-up instead of silently running on the CPU.")
    engine: Literal["paddle", "onnxruntime"] = Field("paddle", description="PaddleOCR's inference engine: `paddle` (Paddle Inference, models with `inference.json`/`.pdmodel` + `.pdiparams`) or `onnxruntime` (models with `inference.onnx`).")
    cpu_threads: Optional[int] = Field(None, ge=1, description="Threads of Paddle on the CPU; unset: PaddleOCR's default (8).")
    enable_mkldnn: Optional[bool] = Field(None, description="oneDNN on the CPU; unset: PaddleOCR's default (on). Turn off for paddlepaddle 3.3.x, whose oneDNN path crashes on the first page.")
    use_textline_orientation: bool = Field(False, description="Also classify upside-down text lines (one more model).")
    det_limit_side_len: Optional[int] = Field(None, ge=1, description="Detection input size limit in pixels; unset: the model's.")
    det_limit_type: Optional[Literal["min", "max"]] = Field(None, description="Whether `PADDLE_DET_LIMIT_SIDE_LEN` caps the short (`min`) or long (`max`) side; unset: the model's.")
    text_rec_score_thresh: Optional[float] = Field(None, ge=0, le=1, description="Drop recognised lines under this score; unset: PaddleOCR's.")

    @field_validator("mode", "device", "engine", "det_limit_type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def on_gpu(self) -> bool:
        return self.device.startswith("gpu")
