"""PaddleOCR engine against a fake ``paddleocr`` package whose ``predict()`` mirrors PaddleOCR 3.x.

The fake (``tests/support/fakes/paddleocr``) is a real package on disk, so ``find_spec`` and a
child process both find it. Its result has the keys and types of PaddleX's ``OCRResult``:
``rec_texts`` (list of str), ``rec_scores`` (float array), ``rec_polys`` (list of int16 (4, 2)
arrays), ``rec_boxes`` (int16 (N, 4) array), beside the other keys the real one carries.
"""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

import model_cache
from extraction.ocr import paddle
from tests.support.paths import FAKES


@pytest.fixture
def fake_paddle(tmp_path, monkeypatch):
    # A folder holding only the fake paddleocr: the fake vllm beside it stays off the path.
    shutil.copytree(FAKES / "paddleocr", tmp_path / "fakepkgs" / "paddleocr")
    monkeypatch.syspath_prepend(str(tmp_path / "fakepkgs"))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "fakepkgs"))  # for the child process
    monkeypatch.setenv("FAKE_PADDLE_LOG", str(tmp_path / "paddle-log.json"))
    monkeypatch.setenv("MODEL_CACHE_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("PADDLE_DEVICE", "cpu")
    monkeypatch.setenv("MODEL_SET_OFFLINE", "0")
    for name in ("PADDLE_MODE", "PADDLE_PYTHON", "PADDLE_USE_TEXTLINE_ORIENTATION", "FAKE_PADDLE_FAIL"):
        monkeypatch.delenv(name, raising=False)
    dirs = {}
    for prefix in ("PADDLE_DET", "PADDLE_REC", "PADDLE_TEXTLINE_ORI"):
        directory = tmp_path / prefix.lower()
        directory.mkdir()
        (directory / "inference.yml").write_text("Global: {}\n")
        (directory / "inference.json").write_text("{}")  # the Paddle program PaddleX loads
        (directory / "inference.pdiparams").write_bytes(b"\0" * 16)
        monkeypatch.setenv(f"{prefix}_MODEL_DIR", str(directory))
        dirs[prefix] = directory
    monkeypatch.delitem(__import__("sys").modules, "paddleocr", raising=False)
    model_cache.reset_timings()
    yield dirs
    __import__("sys").modules.pop("paddleocr", None)


def _image() -> Image.Image:
    image = Image.new("RGB", (320, 240), "white")
    image.putpixel((0, 0), (200, 100, 10))  # RGB; the engine must hand Paddle BGR
    return image


def _check_lines(lines):
    assert [line.text for line in lines] == ["ACME STORE", "TOTAL 12.50", "corner b10 g100 r200"]
    top, total, corner = lines
    assert top.bbox == (10.0, 10.0, 150.0, 30.0)
    assert total.bbox == (10.0, 80.0, 200.0, 100.0)
    assert corner.bbox == (260.0, 220.0, 319.0, 239.0)
    assert total.confidence == pytest.approx(0.98)
    assert [w.text for w in total.words] == ["TOTAL", "12.50"]
    assert total.words[0].bbox[0] == 10.0 and total.words[-1].bbox[2] == pytest.approx(200.0)
    assert total.words[0].bbox[2] <= total.words[1].bbox[0]


def test_is_available_needs_package_and_model_dirs(fake_paddle, monkeypatch, tmp_path):
    assert paddle.is_available()
    monkeypatch.setenv("PADDLE_REC_MODEL_DIR", str(tmp_path / "absent"))
    assert not paddle.is_available()


@pytest.mark.parametrize("files, whole", [
    (("inference.yml", "inference.pdiparams"), False),  # PaddleX: "No Paddle model files were found"
    (("inference.yml", "inference.json"), False),
    (("inference.yml", "inference.json", "inference.pdiparams"), True),
    (("inference.yml", "inference.pdmodel", "inference.pdiparams"), True),
    (("inference.yml", "inference.onnx"), True),  # for PADDLE_ENGINE=onnxruntime
    (("inference.json", "inference.pdiparams"), False),
])
def test_model_folder_needs_what_paddlex_loads(tmp_path, files, whole):
    for name in files:
        (tmp_path / name).write_bytes(b"x")
    assert (model_cache.missing_required(model_cache.get_spec("paddle-det"), tmp_path) == []) is whole


def test_gpu_device_disables_the_silent_cpu_fallback(fake_paddle, tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("PADDLE_PDX_DISABLE_DEVICE_FALLBACK", raising=False)
    assert "PADDLE_PDX_DISABLE_DEVICE_FALLBACK" not in paddle.paddle_env("cpu")
    assert paddle.paddle_env("gpu:0")["PADDLE_PDX_DISABLE_DEVICE_FALLBACK"] == "True"
    monkeypatch.setenv("PADDLE_DEVICE", "gpu:0")
    paddle.PaddleOcrEngine()
    assert os.environ["PADDLE_PDX_DISABLE_DEVICE_FALLBACK"] == "True"  # set before PaddleOCR was built
    assert json.loads((tmp_path / "paddle-log.json").read_text())["kwargs"]["device"] == "gpu:0"


def test_engine_threads_and_onednn_settings_reach_paddleocr(fake_paddle, tmp_path, monkeypatch):
    monkeypatch.setenv("PADDLE_ENGINE", "onnxruntime")
    monkeypatch.setenv("PADDLE_CPU_THREADS", "2")
    monkeypatch.setenv("PADDLE_ENABLE_MKLDNN", "false")
    engine = paddle.PaddleOcrEngine()
    kwargs = json.loads((tmp_path / "paddle-log.json").read_text())["kwargs"]
    assert (kwargs["engine"], kwargs["cpu_threads"], kwargs["enable_mkldnn"]) == ("onnxruntime", 2, False)
    assert engine.describe()["engine"] == "onnxruntime" and engine.describe()["cpu_threads"] == 2


@pytest.mark.parametrize("name, value", [("PADDLE_ENGINE", "tensorrt"), ("PADDLE_DEVICE", "tpu"), ("PADDLE_MODE", "thread"),
                                         ("PADDLE_CPU_THREADS", "0")])
def test_bad_paddle_settings_name_the_variable(fake_paddle, monkeypatch, name, value):
    from extraction.settings import SettingsError

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        paddle.PaddleOcrEngine()


def test_error_result_is_raised_not_read_as_an_empty_page():
    from extraction.ocr.paddle_worker import PaddleResultError, result_to_plain

    with pytest.raises(PaddleResultError, match="model settings are invalid"):
        result_to_plain({"error": "the input params for model settings are invalid!"})  # OCRPipeline.predict's


def test_is_available_false_without_paddleocr(fake_paddle, monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "paddleocr" else real(name, *a))
    assert not paddle.is_available()  # models are there, the package is not
    monkeypatch.setenv("PADDLE_MODE", "subprocess")
    monkeypatch.setenv("PADDLE_PYTHON", str(tmp_path / "no-such-python"))
    assert not paddle.is_available()


def test_in_process_engine_builds_paddleocr_with_every_model_dir(fake_paddle, tmp_path):
    engine = paddle.PaddleOcrEngine()
    logged = json.loads((tmp_path / "paddle-log.json").read_text())
    assert logged["kwargs"] == {
        "text_detection_model_name": "PP-OCRv5_server_det",
        "text_detection_model_dir": str(fake_paddle["PADDLE_DET"]),
        "text_recognition_model_name": "PP-OCRv5_server_rec",
        "text_recognition_model_dir": str(fake_paddle["PADDLE_REC"]),
        "use_doc_orientation_classify": False,
        "use_doc_unwarping": False,
        "use_textline_orientation": False,
        "device": "cpu",
    }
    assert logged["probe_off"] == "True"
    _check_lines(engine.recognize(_image()))
    facts = engine.describe()
    assert facts["name"] == "paddle" and facts["mode"] == "inprocess" and facts["device"] == "cpu"
    assert facts["model_cache"]["paddle-det"]["source"] == "env_dir"


def test_textline_orientation_model_passed_when_enabled(fake_paddle, tmp_path, monkeypatch):
    monkeypatch.setenv("PADDLE_USE_TEXTLINE_ORIENTATION", "1")
    monkeypatch.setenv("PADDLE_DET_LIMIT_SIDE_LEN", "1280")
    paddle.PaddleOcrEngine()
    kwargs = json.loads((tmp_path / "paddle-log.json").read_text())["kwargs"]
    assert kwargs["use_textline_orientation"] is True
    assert kwargs["textline_orientation_model_name"] == "PP-LCNet_x1_0_textline_ori"
    assert kwargs["textline_orientation_model_dir"] == str(fake_paddle["PADDLE_TEXTLINE_ORI"])
    assert kwargs["text_det_limit_side_len"] == 1280


def test_missing_models_fail_with_the_prefetch_hint(fake_paddle, monkeypatch, tmp_path):
    monkeypatch.delenv("PADDLE_DET_MODEL_DIR")
    monkeypatch.setenv("MODEL_DOWNLOAD", "0")
    with pytest.raises(model_cache.ModelCacheError, match="prefetch --ocr"):
        paddle.PaddleOcrEngine()


def test_subprocess_engine_gives_the_same_lines(fake_paddle, tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("PADDLE_MODE", "subprocess")
    engine = paddle.PaddleOcrEngine()
    try:
        logged = json.loads((tmp_path / "paddle-log.json").read_text())
        assert logged["pid"] != os.getpid()  # Paddle was built in the child
        assert logged["kwargs"]["text_recognition_model_dir"] == str(fake_paddle["PADDLE_REC"])
        _check_lines(engine.recognize(_image()))
        _check_lines(engine.recognize(_image()))  # the child keeps serving
        assert engine.describe()["mode"] == "subprocess"
    finally:
        engine.close()


def test_subprocess_failure_is_reported(fake_paddle, monkeypatch):
    monkeypatch.setenv("PADDLE_MODE", "subprocess")
    monkeypatch.setenv("FAKE_PADDLE_FAIL", "1")
    engine = paddle.PaddleOcrEngine()
    try:
        with pytest.raises(RuntimeError, match="simulated inference failure"):
            engine.recognize(_image())
    finally:
        engine.close()


def test_lines_from_result_falls_back_to_rec_boxes():
    page = {"rec_texts": ["A B"], "rec_scores": [0.8], "rec_polys": [], "rec_boxes": [[0, 0, 30, 10]]}
    (line,) = paddle.lines_from_result(page)
    assert line.bbox == (0.0, 0.0, 30.0, 10.0) and [w.text for w in line.words] == ["A", "B"]
