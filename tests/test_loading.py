"""Engines loading in the background (extraction.loading) and a pipeline built on them."""

from __future__ import annotations

import base64
import threading

import pytest
from PIL import Image

from extraction import engines, samplegen
from extraction.engines import EngineSpec
from extraction.errors import ErrorCode, is_fatal
from extraction.loading import EngineLoadError, LoadingEngine, engine_of, load_in_background
from extraction.pipeline import Limits, Pipeline
from tests.support.engines import FakeExtractor, FakeOcr

PNG = base64.b64encode(samplegen.image_bytes(Image.new("RGB", (80, 40), "white"), "PNG")).decode()


def _job(*ids: str) -> dict:
    return {"documents": [{"id": doc_id, "base64": PNG} for doc_id in ids]}


def _gated(engine: object, gate: threading.Event):
    def build() -> object:
        assert gate.wait(10), "the test never opened the gate"
        return engine

    return build


def test_the_name_is_known_at_once_and_any_other_use_waits_for_the_build() -> None:
    gate = threading.Event()
    ocr = FakeOcr("HELLO")
    loading = LoadingEngine("fake-ocr", _gated(ocr, gate))
    assert loading.name == "fake-ocr" and not loading.loaded
    answers: list[object] = []
    user = threading.Thread(target=lambda: answers.append(loading.describe()))
    user.start()
    user.join(0.2)
    assert user.is_alive() and answers == []  # still waiting for the build
    gate.set()
    user.join(10)
    assert answers == [{"name": "fake-ocr"}] and loading.loaded
    assert engine_of(loading) is ocr and engine_of(ocr) is ocr
    assert loading.load_ms is not None


def test_a_failed_build_is_a_fatal_error_on_every_use_and_runs_no_follow_up() -> None:
    def broken() -> object:
        raise FileNotFoundError("det.onnx")

    called: list[object] = []
    loading = LoadingEngine("rapidocr", broken, after=called.append)
    for _ in range(2):
        with pytest.raises(EngineLoadError, match="rapidocr engine could not be loaded.*det.onnx") as raised:
            loading.recognize
        assert is_fatal(raised.value)
    loading.when_loaded(called.append)
    assert called == []


def test_follow_ups_run_after_the_build_whenever_they_are_registered() -> None:
    gate = threading.Event()
    engine = FakeExtractor()
    order: list[str] = []
    loading = LoadingEngine("fake-extractor", _gated(engine, gate), after=lambda e: order.append("after"))
    loading.when_loaded(lambda e: order.append("early"))
    assert order == []
    gate.set()
    loading.wait()
    loading._thread.join(10)
    loading.when_loaded(lambda e: order.append("late"))
    assert order == ["after", "early", "late"]


def test_a_job_on_engines_still_loading_waits_for_them_and_succeeds() -> None:
    gate = threading.Event()
    pipeline = Pipeline(LoadingEngine("fake-ocr", _gated(FakeOcr(), gate)), LoadingEngine("fake-extractor", _gated(FakeExtractor(), gate)))
    outputs: list[dict] = []
    job = threading.Thread(target=lambda: outputs.append(pipeline.run_job(_job("a", "b"))))
    job.start()
    job.join(0.2)
    assert job.is_alive()
    gate.set()
    job.join(30)
    assert [d["status"] for d in outputs[0]["documents"]] == ["ok", "ok"]
    assert outputs[0]["engines"]["ocr"] == {"name": "fake-ocr"}


def test_an_engine_that_failed_to_load_fails_the_job_as_a_worker_fault() -> None:
    def broken() -> object:
        raise OSError("no model")

    pipeline = Pipeline(LoadingEngine("fake-ocr", broken), FakeExtractor(), Limits(extract_batch_size=2))
    output = pipeline.run_job(_job("a", "b"))
    assert {d["error"]["code"] for d in output["documents"]} == {ErrorCode.WORKER_FAILED.value}
    assert pipeline.faults.reason is not None and "no model" in pipeline.faults.reason


@pytest.fixture
def fake_registry(monkeypatch):
    built: list[str] = []

    class Ocr(FakeOcr):
        name = "fake-ocr"

        def __init__(self) -> None:
            built.append("ocr")
            super().__init__()

    class Extractor(FakeExtractor):
        def __init__(self) -> None:
            built.append("extractor")
            super().__init__()

    monkeypatch.setattr(engines, "_load", lambda path: {"ocr:Ocr": Ocr, "ext:Extractor": Extractor, "ok": lambda: True}[path])
    monkeypatch.setattr(engines, "OCR_ENGINES", {"fake-ocr": EngineSpec("ocr:Ocr", "ok")})
    monkeypatch.setattr(engines, "EXTRACTORS", {"fake-extractor": EngineSpec("ext:Extractor", "ok")})
    return built


def test_from_env_in_the_background_builds_both_engines_and_records_their_times(fake_registry) -> None:
    pipeline = Pipeline.from_env(ocr="fake-ocr", extractor="fake-extractor", background=True)
    assert isinstance(pipeline.ocr, LoadingEngine) and isinstance(pipeline.extractor, LoadingEngine)
    output = pipeline.run_job(_job("a"))
    assert output["documents"][0]["status"] == "ok"
    assert sorted(fake_registry) == ["extractor", "ocr"]
    assert set(pipeline.describe()["startup_ms"]) == {"ocr", "extractor", "total"}


def test_gpu_engines_are_never_loaded_in_the_background(fake_registry, monkeypatch) -> None:
    monkeypatch.setattr(engines, "OCR_ENGINES", {"fake-ocr": EngineSpec("ocr:Ocr", "ok", gpu=True)})
    assert load_in_background("fake-ocr", "fake-extractor", {}) is None
    pipeline = Pipeline.from_env(ocr="fake-ocr", extractor="fake-extractor", background=True)
    assert not isinstance(pipeline.ocr, LoadingEngine) and fake_registry == ["ocr", "extractor"]


def test_readers_start_once_the_extractor_has_loaded() -> None:
    gate = threading.Event()

    class Readers:
        started = 0

        def start(self) -> None:
            self.started += 1

    readers = Readers()
    extractor = LoadingEngine("fake-extractor", _gated(FakeExtractor(), gate))
    pipeline = Pipeline(FakeOcr(), extractor, readers=readers)  # type: ignore[arg-type]
    pipeline.start_readers()
    assert readers.started == 0
    gate.set()
    extractor._thread.join(10)
    assert readers.started == 1
