"""Faults that leave the process unusable (a CUDA error, a broken engine) end the worker's
service, not just one document; every other failure stays with its document."""

from __future__ import annotations

import asyncio
import base64
import importlib
import logging
import sys

import pytest
from PIL import Image

from extraction import samplegen, sources
from extraction.errors import DocumentError, ErrorCode, FatalWorkerError, is_fatal
from extraction.pipeline import Limits, Pipeline  # the limits type the pipeline is built with
from extraction.schema import JobOutput
from tests.support.engines import FakeExtractor, FakeOcr

CUDA_FAULT = "CUDA error: an illegal memory access was encountered"


def _torch_class(name: str) -> type:
    """An exception class that looks like PyTorch's own (module ``torch.cuda``) without importing torch."""
    return type(name, (RuntimeError,), {"__module__": "torch.cuda"})


def _raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise error from inner
    except BaseException as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "fatal"),
    [
        (FatalWorkerError(), True),
        (FatalWorkerError("the TILT engine's loop died"), True),
        (RuntimeError(CUDA_FAULT), True),
        (RuntimeError("CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasSgemm( handle, opa, opb, m, n, k)`"), True),
        (RuntimeError("CUDA error: device-side assert triggered"), True),
        (RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 23.65 GiB total capacity)"), True),
        (_torch_class("OutOfMemoryError")("Tried to allocate 2.00 GiB"), True),
        (_raised_from(ValueError("decoding failed"), RuntimeError(CUDA_FAULT)), True),
        (RuntimeError("extractor blew up"), False),
        (ValueError("could not read /usr/local/cuda/version.json"), False),
        (MemoryError(), False),  # the host's memory: the next document may well fit
        (type("OutOfMemoryError", (RuntimeError,), {"__module__": "some_cpu_library"})(), False),
        (DocumentError(ErrorCode.CORRUPT_DOCUMENT, "truncated"), False),
        (None, False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) or value is None else str(value),
)
def test_is_fatal(exc, fatal):
    assert is_fatal(exc) is fatal


def test_fatal_worker_error_says_why_by_default():
    assert str(FatalWorkerError()) == "the process cannot serve more jobs"
    assert FatalWorkerError("engine dead").message == "engine dead"


class FaultyExtractor(FakeExtractor):
    """Raises ``error`` for any batch that holds the document ``poison``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def extract(self, requests):
        if any(r.document_id == "poison" for r in requests):
            self.batches.append([r.document_id for r in requests])
            raise self.error
        return super().extract(requests)


class FaultyOcr(FakeOcr):
    """Raises ``error`` on the ``at``-th image it is given (1-based)."""

    def __init__(self, error: BaseException, at: int) -> None:
        super().__init__()
        self.error, self.at = error, at

    def recognize(self, image):
        if len(self.images) + 1 == self.at:
            self.images.append(image)
            raise self.error
        return super().recognize(image)


PNG = base64.b64encode(samplegen.image_bytes(Image.new("RGB", (80, 40), "white"), "PNG")).decode()


def _job(*ids: str) -> dict:
    return {"documents": [{"id": doc_id, "base64": PNG} for doc_id in ids]}


def _codes(output: dict) -> dict[str, str]:
    return {d["id"]: d["status"] if d["status"] == "ok" else d["error"]["code"] for d in output["documents"]}


@pytest.fixture
def decoded(monkeypatch) -> list[str]:
    """Ids of the documents whose bytes were read (decoded or fetched)."""
    seen: list[str] = []
    real = sources.read_document_bytes

    def counting(doc, context):
        seen.append(doc.id)
        return real(doc, context)

    monkeypatch.setattr(sources, "read_document_bytes", counting)
    return seen


def test_fatal_fault_in_one_batch_stops_the_job_and_keeps_what_was_done(decoded, caplog):
    extractor = FaultyExtractor(RuntimeError(CUDA_FAULT))
    pipeline = Pipeline(FakeOcr(), extractor, Limits(extract_batch_size=2))
    with caplog.at_level(logging.CRITICAL, logger="extraction.faults"):
        output = pipeline.run_job(_job("a", "b", "poison", "c", "d", "e"))
    JobOutput.model_validate(output)
    worker_failed = ErrorCode.WORKER_FAILED.value
    assert _codes(output) == {"a": "ok", "b": "ok", "poison": worker_failed, "c": worker_failed, "d": worker_failed, "e": worker_failed}
    assert output["summary"] == {"documents": 6, "succeeded": 2, "failed": 4}
    # No retry one by one on a broken engine, and nothing after the fault reaches it.
    assert extractor.batches == [["a", "b"], ["poison", "c"]]
    assert decoded == ["a", "b", "poison", "c", "d"]  # "d" was already read ahead; "e" never is
    message = output["documents"][2]["error"]["message"]
    assert CUDA_FAULT in message and "retry" in message
    assert pipeline.faults.reason is not None and CUDA_FAULT in pipeline.faults.reason
    assert "can serve no more documents" in caplog.text


def test_later_jobs_on_a_faulted_process_reach_no_engine(decoded):
    ocr, extractor = FakeOcr(), FaultyExtractor(FatalWorkerError("the TILT engine's loop died"))
    pipeline = Pipeline(ocr, extractor, Limits(extract_batch_size=1))
    pipeline.run_job(_job("poison"))
    images_seen, batches = len(ocr.images), list(extractor.batches)
    output = pipeline.run_job(_job("x", "y"))
    assert _codes(output) == {"x": ErrorCode.WORKER_FAILED.value, "y": ErrorCode.WORKER_FAILED.value}
    assert "the TILT engine's loop died" in output["documents"][0]["error"]["message"]
    assert (len(ocr.images), extractor.batches) == (images_seen, batches)


def test_fatal_fault_in_ocr_stops_the_job(decoded):
    ocr = FaultyOcr(RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"), at=2)
    extractor = FakeExtractor()
    pipeline = Pipeline(ocr, extractor, Limits(extract_batch_size=1))
    output = pipeline.run_job(_job("a", "b", "c"))
    assert _codes(output) == {"a": "ok", "b": ErrorCode.WORKER_FAILED.value, "c": ErrorCode.WORKER_FAILED.value}
    assert extractor.batches == [["a"]]
    assert decoded == ["a", "b", "c"] and len(ocr.images) == 2  # "c" was read ahead, never recognised


def test_ordinary_extractor_error_stays_with_its_document():
    extractor = FaultyExtractor(RuntimeError("extractor blew up"))
    pipeline = Pipeline(FakeOcr(), extractor, Limits(extract_batch_size=2))
    output = pipeline.run_job(_job("a", "poison", "c"))
    assert _codes(output) == {"a": "ok", "poison": ErrorCode.EXTRACTION_FAILED.value, "c": "ok"}
    assert extractor.batches[:2] == [["a", "poison"], ["a"]]  # the batch was retried one by one
    assert pipeline.faults.reason is None
    assert _codes(pipeline.run_job(_job("next"))) == {"next": "ok"}


def test_ordinary_ocr_error_stays_with_its_document():
    pipeline = Pipeline(FaultyOcr(ValueError("bad crop"), at=2), FakeExtractor(), Limits())
    output = pipeline.run_job(_job("a", "b", "c"))
    assert _codes(output) == {"a": "ok", "b": ErrorCode.OCR_FAILED.value, "c": "ok"}
    assert pipeline.faults.reason is None


def test_fatal_fault_is_raised_to_single_document_callers():
    # extract_bytes serves the evaluation harness: a broken GPU must stop it, not score zeros.
    pipeline = Pipeline(FaultyOcr(RuntimeError(CUDA_FAULT), at=1), FakeExtractor(), Limits())
    with pytest.raises(RuntimeError, match="CUDA error"):
        pipeline.extract_bytes(base64.b64decode(PNG), doc_id="x")


# --------------------------------------------------------------------------- the RunPod handler


@pytest.fixture
def worker(monkeypatch):
    """``handler.py`` imported with its pipeline on fake engines (batches of two)."""
    extractor = FaultyExtractor(FatalWorkerError("the TILT engine's loop died"))
    monkeypatch.setenv("RUNPOD_LOG_LEVEL", "INFO")
    monkeypatch.setattr(Pipeline, "from_env", classmethod(lambda cls, *a, **k: cls(FakeOcr(), extractor, Limits(extract_batch_size=2))))
    monkeypatch.delitem(sys.modules, "handler", raising=False)
    module = importlib.import_module("handler")
    yield module
    sys.modules.pop("handler", None)


def test_handler_returns_the_output_and_asks_for_a_new_worker_after_a_fatal_fault(worker, caplog):
    with caplog.at_level(logging.ERROR, logger="handler"):
        output = worker.handler({"id": "job-1", "input": _job("a", "b", "poison", "c")})
    assert output["refresh_worker"] is True
    assert _codes(output) == {"a": "ok", "b": "ok", "poison": "worker_failed", "c": "worker_failed"}
    assert "job-1" in caplog.text and "can serve no more jobs" in caplog.text and "TILT engine's loop died" in caplog.text


def test_handler_leaves_a_healthy_worker_in_service(worker):
    output = worker.handler({"id": "job-1", "input": _job("a", "b")})
    assert "refresh_worker" not in output and output["summary"]["succeeded"] == 2
    invalid = worker.handler({"id": "job-2", "input": {"documents": "nope"}})
    assert invalid["error"].startswith("invalid_input") and "refresh_worker" not in invalid


def test_the_sdk_delivers_the_output_and_stops_the_pod(worker):
    from runpod.serverless.modules.rp_job import run_job

    faulted = asyncio.run(run_job(worker.handler, {"id": "job-1", "input": _job("a", "b", "poison")}))
    assert faulted["stopPod"] is True and "error" not in faulted
    assert "refresh_worker" not in faulted["output"]  # the SDK takes the flag out of the output
    assert _codes(faulted["output"]) == {"a": "ok", "b": "ok", "poison": "worker_failed"}


def test_the_sdk_keeps_a_healthy_pod(worker):
    from runpod.serverless.modules.rp_job import run_job

    healthy = asyncio.run(run_job(worker.handler, {"id": "job-1", "input": _job("a")}))
    assert "stopPod" not in healthy and _codes(healthy["output"]) == {"a": "ok"}
