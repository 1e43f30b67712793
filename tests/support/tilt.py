"""The TILT tests' fixtures: the fake vllm package (``fakes/vllm``) on sys.path, fake weights, test documents."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Iterator, Optional

import pytest
from PIL import Image

from extraction.layout import DocumentText, Line, PageText
from tests.support.paths import FAKES

VLLM_ENV = ("VLLM_ATTENTION_BACKEND", "VLLM_USE_V1", "HF_HUB_OFFLINE")
TILT_ENV = (
    "TILT_MODEL_PATH", "TILT_MODEL_ID", "TILT_MAX_MODEL_LEN", "TILT_GPU_MEMORY_UTILIZATION", "TILT_MAX_NUM_SEQS",
    "TILT_MAX_PAGES", "TILT_MAX_DOC_TOKENS", "TILT_QUESTION_STYLE", "TILT_QUESTIONS_FILE", "TILT_LINE_ITEMS",
    "TILT_DTYPE", "TILT_MAX_OUTPUT_TOKENS", "TILT_MAX_BATCHED_ENCODER_TOKENS", "TILT_MAX_CHUNKS_IN_BATCH",
    "TILT_SPLIT_TALL_PAGES",
    "MODEL_CACHE_DIR",
)


def drop_vllm_modules() -> None:
    for name in [m for m in sys.modules if m == "vllm" or m.startswith("vllm.")]:
        del sys.modules[name]


def make_weights(root: Path, config: str = '{"model_type": "tilt"}') -> Path:
    path = root / "snowflake-arctic-tilt-v1.3"
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(config)
    (path / "model.safetensors").write_bytes(b"\0" * 8)
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (*VLLM_ENV, *TILT_ENV):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clean_env: None) -> Iterator[object]:
    """The fake vllm package on sys.path, fake weights in TILT_MODEL_PATH; yields the behaviour."""
    drop_vllm_modules()
    monkeypatch.syspath_prepend(str(FAKES))
    importlib.invalidate_caches()
    monkeypatch.setenv("TILT_MODEL_PATH", str(make_weights(tmp_path / "models")))
    from vllm.engine.llm_engine import Behaviour, LLMEngine
    from vllm.multimodal import tilt_processor

    LLMEngine.behaviour = Behaviour()
    tilt_processor.CROPPED.clear()
    yield LLMEngine.behaviour
    drop_vllm_modules()


def page(lines: list[tuple[str, tuple[float, float, float, float]]], *, number: int = 1, width: float = 600,
         height: float = 900, image: Optional[Image.Image] = None) -> PageText:
    return PageText(
        number=number, width=width, height=height,
        lines=[Line.from_text(text, box) for text, box in lines], source="ocr", image=image,
    )


def receipt(vendor: str = "ACME STORE", total: str = "12.50", date: str = "03/04/2024", **kw) -> DocumentText:
    return DocumentText(pages=[page([
        (vendor, (50, 20, 300, 50)),
        ("12 Main Street Springfield", (50, 60, 400, 90)),
        (f"Date: {date}", (50, 100, 300, 130)),
        ("Coffee 2 x 3.00 6.00", (50, 200, 500, 230)),
        ("Bagel 6.50", (50, 240, 500, 270)),
        (f"TOTAL {total}", (50, 300, 500, 330)),
    ], **kw)])
