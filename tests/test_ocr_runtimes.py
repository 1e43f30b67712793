"""RapidOCR on our own sessions: the runtime choice, its fallback, same text as RapidOCR's own,
the ONNX metadata reader and the detector's size floor for tall pages."""

from __future__ import annotations

import locale
import sys
from pathlib import Path

import numpy as np
import pytest

from extraction.ocr import runtimes
from extraction.ocr.onnx_meta import OnnxFormatError, read_metadata
from extraction.ocr.rapid import RapidOcrEngine, rapidocr_params
from extraction.ocr.rapid_models import detector_scale
from extraction.ocr.runtimes import RuntimeUnavailable, resolve_runtime
from extraction.settings import load_settings
from extraction.settings.rapidocr import RapidOcrSettings

needs_openvino = pytest.mark.skipif(not runtimes.openvino_available(), reason="the openvino extra is not installed")


@pytest.fixture(scope="module")
def receipt_top(receipt_image):
    """The head of the sample receipt: a few lines are enough to compare runtimes, and quicker."""
    width, height = receipt_image.size
    return receipt_image.crop((0, 0, width, height // 3))


@pytest.fixture
def without_openvino(monkeypatch):
    """As on an install without the ``openvino`` extra: the package cannot be found or imported."""
    monkeypatch.setitem(sys.modules, "openvino", None)


def test_auto_falls_back_to_onnx_runtime_without_openvino(without_openvino):
    assert runtimes.openvino_available() is False
    assert resolve_runtime("auto") == "onnxruntime"
    assert resolve_runtime("onnxruntime") == "onnxruntime"
    with pytest.raises(RuntimeUnavailable, match="RAPIDOCR_RUNTIME=openvino.*pip install"):
        resolve_runtime("openvino")


def test_an_engine_without_openvino_reads_on_onnx_runtime(without_openvino, receipt_top):
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {}))
    assert engine.session_options.runtime == "onnxruntime"
    assert "runtime" not in engine.describe()  # as RapidOCR's own sessions: OCR caches stay valid
    assert [line.text for line in engine.recognize(receipt_top)][0] == "CORNER BAKERY & CAFE"


@needs_openvino
def test_auto_takes_openvino_when_installed_and_says_so():
    assert resolve_runtime("auto") == "openvino"
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_PRECISION": "f32"}))
    facts = engine.describe()
    assert facts["runtime"] == "openvino" and facts["precision"] == "f32"  # part of the OCR cache key


def _rapidocr_own_lines(image) -> list[tuple[str, list]]:
    from rapidocr import RapidOCR

    settings = load_settings(RapidOcrSettings, {})
    own = RapidOCR(params=rapidocr_params(settings))
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
    result = own(bgr)
    return [(text, np.round(box).tolist()) for text, box in zip(result.txts, result.boxes)]


def _tuned_lines(image, environ: dict[str, str]) -> list[tuple[str, list]]:
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, environ))
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
    result = engine._engine(bgr)
    return [(text, np.round(box).tolist()) for text, box in zip(result.txts, result.boxes)]


def test_our_onnx_runtime_sessions_read_exactly_as_rapidocr_does(receipt_top):
    # same texts and boxes: our sessions replace RapidOCR's and keep its pre- and post-processing
    # (a RapidOCR upgrade that changes what its components expect fails here)
    ours = _tuned_lines(receipt_top, {"RAPIDOCR_RUNTIME": "onnxruntime"})
    assert len(ours) >= 3 and ours == _rapidocr_own_lines(receipt_top)


@needs_openvino
def test_openvino_reads_the_same_text_as_onnx_runtime(receipt_top):
    on_ort = [text for text, _ in _tuned_lines(receipt_top, {"RAPIDOCR_RUNTIME": "onnxruntime"})]
    on_ov = [text for text, _ in _tuned_lines(receipt_top, {"RAPIDOCR_RUNTIME": "openvino", "RAPIDOCR_PRECISION": "f32"})]
    assert on_ov == on_ort


@needs_openvino
def test_building_on_openvino_keeps_the_process_locale(tmp_path):
    before = locale.setlocale(locale.LC_ALL)
    for _ in range(2):  # the detector and recogniser compile side by side at load time
        RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_OPENVINO_CACHE_DIR": str(tmp_path)}))
    assert locale.setlocale(locale.LC_ALL) == before


def test_the_recognisers_character_list_is_read_from_the_onnx_file():
    import rapidocr

    models = sorted(Path(rapidocr.__file__).parent.glob("models/*rec*.onnx"))
    assert models, "the rapidocr wheel ships its recogniser"
    characters = read_metadata(models[0])["character"].splitlines()
    assert len(characters) > 1000 and "A" in characters and "7" in characters


def test_a_file_that_is_not_onnx_is_a_format_error(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")  # a length past the end
    with pytest.raises(OnnxFormatError):
        read_metadata(broken)


@pytest.mark.parametrize(
    "height, width, long_side, floor, expected",
    [
        (3400, 900, 1280, 0, 1280 / 3400),  # the cap alone squeezes a tall receipt to ~340 px wide
        (3400, 900, 1280, 736, 736 / 900),  # the floor keeps its short side at 736 px
        (3400, 600, 1280, 736, 1.0),  # never enlarged
        (1000, 800, 1280, 736, 1.0),  # a page under the cap is left as it is
        (2000, 1600, 1280, 736, 0.64),  # the floor is not reached: the cap decides
    ],
)
def test_detector_scale(height, width, long_side, floor, expected):
    assert detector_scale(height, width, long_side, floor) == pytest.approx(expected)


def test_the_detector_input_follows_the_floor_on_a_tall_page_only():
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    from extraction.ocr.rapid_models import _detector_class

    detector = _detector_class()(_DetConfig(), session=None, min_short_side=736)
    shape_aware = detector.get_preprocess()
    rapid_own = DetPreProcess(1280, "max", settings_mean(), settings_std())
    normal = np.zeros((1600, 1200, 3), np.uint8)
    assert shape_aware.resize(normal).shape == rapid_own.resize(normal).shape  # untouched by the floor
    tall = np.zeros((3400, 900, 3), np.uint8)
    height, width = shape_aware.resize(tall).shape[:2]
    assert width % 32 == 0 and height % 32 == 0
    assert width >= 704 and rapid_own.resize(tall).shape[1] <= 352


def settings_mean() -> list[float]:
    return [0.5, 0.5, 0.5]


def settings_std() -> list[float]:
    return [0.5, 0.5, 0.5]


class _DetConfig(dict):
    """The detector section of RapidOCR's configuration, as much of it as the detector reads."""

    def __init__(self) -> None:
        super().__init__(limit_side_len=1280, limit_type="max", mean=settings_mean(), std=settings_std())


def test_sessions_built_again_over_the_memory_budget_read_the_same(receipt_top, monkeypatch):
    """RAPIDOCR_RECYCLE_ABOVE_MB: past the budget the sessions are replaced between pages; the
    next page reads exactly as it would have with the old ones."""
    import extraction.ocr.rapid as rapid

    kept = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_RECYCLE_ABOVE_MB": "0"}))
    recycled = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_RECYCLE_ABOVE_MB": "1"}))
    monkeypatch.setattr(rapid, "resident_mb", lambda: 4096.0)  # the process has grown since the sessions were built
    first_sessions = recycled._engine
    first = [line.text for line in recycled.recognize(receipt_top)]
    assert recycled.recycled == 1 and recycled._engine is not first_sessions
    assert [line.text for line in recycled.recognize(receipt_top)] == first == [line.text for line in kept.recognize(receipt_top)]
    assert kept.recycled == 0  # 0: never


def test_sessions_are_built_again_only_when_the_process_has_grown_since(receipt_top, monkeypatch):
    import extraction.ocr.rapid as rapid

    held = {"mb": 300.0}  # when the sessions are built
    monkeypatch.setattr(rapid, "resident_mb", lambda: held["mb"])
    monkeypatch.setattr(rapid, "release_freed_memory", lambda: True)
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_RECYCLE_ABOVE_MB": "500"}))
    held["mb"] = 900.0
    engine.recognize(receipt_top)
    assert engine.recycled == 1  # over the budget: built again (the process then holds 900 MB)
    held["mb"] = 900.0 + rapid.RECYCLE_MIN_GAIN_MB - 1
    engine.recognize(receipt_top)
    assert engine.recycled == 1  # other parts of the process hold it: rebuilding would free nothing
    held["mb"] = 900.0 + rapid.RECYCLE_MIN_GAIN_MB + 1
    engine.recognize(receipt_top)
    assert engine.recycled == 2
    held["mb"] = 400.0
    engine.recognize(receipt_top)
    assert engine.recycled == 2  # under the budget


def test_fresh_sessions_are_not_built_again_for_memory_held_before_them(receipt_top, monkeypatch):
    """A worker that already holds more than the budget when its sessions are built (models,
    imports) is not slowed by a rebuild after its first page: only growth since then counts."""
    import extraction.ocr.rapid as rapid

    held = {"mb": 470.0}
    monkeypatch.setattr(rapid, "resident_mb", lambda: held["mb"])
    monkeypatch.setattr(rapid, "release_freed_memory", lambda: True)
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_RECYCLE_ABOVE_MB": "450"}))
    held["mb"] = 470.0 + rapid.RECYCLE_MIN_GAIN_MB - 1  # the first page: over the budget, but little growth
    engine.recognize(receipt_top)
    assert engine.recycled == 0
    held["mb"] = 470.0 + rapid.RECYCLE_MIN_GAIN_MB + 1  # the shapes seen since then hold memory
    engine.recognize(receipt_top)
    assert engine.recycled == 1


def test_sessions_in_use_by_another_thread_are_not_replaced(receipt_top):
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_RECYCLE_ABOVE_MB": "1"}))
    engine._in_flight = 1  # another thread is inside its read
    engine.recognize(receipt_top)
    assert engine.recycled == 0


def test_sessions_that_cannot_be_built_again_keep_reading(receipt_top, monkeypatch):
    import extraction.ocr.rapid as rapid

    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_RECYCLE_ABOVE_MB": "1"}))
    monkeypatch.setattr(rapid, "resident_mb", lambda: 4096.0)  # grown since the sessions were built
    sessions = engine._engine

    def broken() -> None:
        raise OSError("the model cache is gone")

    monkeypatch.setattr(engine, "_build_engine", broken)
    first = [line.text for line in engine.recognize(receipt_top)]
    assert engine._engine is sessions and engine.recycled == 0 and engine.recycle_above_mb == 0  # turned off, not retried per page
    assert [line.text for line in engine.recognize(receipt_top)] == first and first


@needs_openvino
def test_the_detector_runs_on_onnx_runtime_beside_an_openvino_recogniser():
    """RAPIDOCR_DET_RUNTIME (default onnxruntime): OpenVINO would keep the largest page's detector
    buffers for the model's life; the recogniser stays on RAPIDOCR_RUNTIME."""
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {}))
    assert isinstance(engine._engine.text_det.session, runtimes.OrtSession)
    assert isinstance(engine._engine.text_rec.session, runtimes.OpenVinoSession)
    assert engine.describe()["det_runtime"] == "onnxruntime"  # other boxes: part of the OCR cache key

    same = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_DET_RUNTIME": "same"}))
    assert isinstance(same._engine.text_det.session, runtimes.OpenVinoSession)
    assert "det_runtime" not in same.describe()


def test_a_detector_runtime_equal_to_the_engines_is_not_a_difference(without_openvino):
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_DET_RUNTIME": "onnxruntime"}))
    assert engine.session_options.det_runtime is None and engine.session_options.for_detector() is engine.session_options
    assert "det_runtime" not in engine.describe()
    with pytest.raises(RuntimeUnavailable):  # asked for by name: it must be installed
        RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_DET_RUNTIME": "openvino"}))


def test_the_recogniser_reads_its_widest_batch_first(receipt_top):
    """OpenVINO grows its buffers at every wider input: widest first, they are allocated once.
    The batches are RapidOCR's own (same text: the test above compares with RapidOCR itself)."""
    engine = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_REC_BATCH_SIZE": "2"}))
    recogniser = engine._engine.text_rec
    inner = recogniser.session
    widths: list[int] = []

    class Recording:
        def __call__(self, batch):
            widths.append(batch.shape[3])
            return inner(batch)

    recogniser.session = Recording()
    lines = engine.recognize(receipt_top)
    assert len(widths) >= 3 and len(set(widths)) >= 2
    assert widths == sorted(widths, reverse=True)
    assert lines[0].text == "CORNER BAKERY & CAFE"


def test_the_kernel_cache_is_bounded_unless_the_environment_says_otherwise():
    environ: dict[str, str] = {}
    assert runtimes.bound_kernel_cache(environ) == str(runtimes.KERNEL_CACHE_CAPACITY)
    assert environ == {"ONEDNN_PRIMITIVE_CACHE_CAPACITY": str(runtimes.KERNEL_CACHE_CAPACITY)}
    assert runtimes.bound_kernel_cache({"ONEDNN_PRIMITIVE_CACHE_CAPACITY": "1024"}) == "1024"  # the user's wins
