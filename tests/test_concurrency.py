"""Reader processes for the documents of one job (extraction.concurrency, extraction.reader).

The readers run ``tests.support.scripted_reader``: the worker's own reader loop on an OCR engine
whose behaviour each page's colour scripts (slow, crash, hang).
"""

from __future__ import annotations

import base64
import io
import os
import sys

import pytest
from PIL import Image

from extraction import concurrency
from extraction.concurrency import ReaderPool, reader_pool_for
from extraction.pipeline import Pipeline
from extraction.settings.limits import Limits
from tests.support.engines import FakeExtractor, FakeOcr
from tests.support.scripted_reader import CRASH, HANG

SCRIPTED = [sys.executable, "-m", "tests.support.scripted_reader"]


def page(colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def job(*colours: tuple[int, int, int] | bytes) -> dict:
    documents = []
    for number, colour in enumerate(colours):
        data = base64.b64encode(colour).decode() if isinstance(colour, bytes) else page(colour)
        documents.append({"id": f"d{number}", "base64": data})
    return {"documents": documents}


@pytest.fixture
def pool_pipeline():
    pools: list[ReaderPool] = []

    def build(readers: int = 2, timeout_s: float = 60.0, command: list[str] | None = None) -> Pipeline:
        pool = ReaderPool(readers, ocr_name="scripted", timeout_s=timeout_s, command=command or SCRIPTED)
        pools.append(pool)
        return Pipeline(FakeOcr(), FakeExtractor(), Limits(extract_batch_size=3), readers=pool)

    yield build
    for pool in pools:
        pool.close()


@pytest.fixture(scope="module")
def shared_pipeline():
    """Two scripted readers shared by the tests that leave them working (they take a while to start)."""
    pool = ReaderPool(2, ocr_name="scripted", timeout_s=60.0, command=SCRIPTED)
    yield Pipeline(FakeOcr(), FakeExtractor(), Limits(extract_batch_size=3), readers=pool)
    pool.close()


def vendor(result: dict) -> str:
    return result["fields"]["vendor_name"]["value"]


def test_results_come_back_in_input_order_whatever_order_the_readers_finish(shared_pipeline):
    pipeline = shared_pipeline
    shades = [250, 5, 160, 0, 90, 10, 40]  # milliseconds each document takes: later ones finish first
    output = pipeline.run_job(job(*[(0, shade, 0) for shade in shades]))
    documents = output["documents"]
    assert [d["id"] for d in documents] == [f"d{i}" for i in range(len(shades))]
    assert [vendor(d).split()[-1] for d in documents] == [str(shade) for shade in shades]
    readers = {vendor(d).split()[1] for d in documents}
    assert len(readers) == 2 and str(os.getpid()) not in readers  # read in both readers, not here


def test_a_single_document_is_read_in_the_worker_itself(pool_pipeline):
    pipeline = pool_pipeline(readers=2)
    output = pipeline.run_job(job((0, 5, 0)))
    assert vendor(output["documents"][0]) == "TOTAL 12.50"  # the worker's own (fake) engine
    assert pipeline.readers._started is False  # no process was started for it


def test_a_bad_document_fails_alone(shared_pipeline):
    pipeline = shared_pipeline
    output = pipeline.run_job(job((0, 5, 0), b"this is not an image", (0, 6, 0)))
    statuses = [(d["id"], d["status"]) for d in output["documents"]]
    assert statuses == [("d0", "ok"), ("d1", "error"), ("d2", "ok")]
    assert output["documents"][1]["error"]["code"] in {"unsupported_format", "corrupt_document"}
    assert output["summary"] == {"documents": 3, "succeeded": 2, "failed": 1}


def test_a_reader_that_crashes_gives_its_document_a_structured_error_and_is_replaced(shared_pipeline):
    pipeline = shared_pipeline
    replaced = pipeline.readers.replaced
    output = pipeline.run_job(job((0, 5, 0), CRASH, (0, 6, 0), (0, 7, 0)))
    documents = output["documents"]
    assert [d["status"] for d in documents] == ["ok", "error", "ok", "ok"]
    error = documents[1]["error"]
    assert error["code"] == "ocr_failed" and "stopped the OCR process" in error["message"]
    assert pipeline.readers.replaced == replaced + 1
    again = pipeline.run_job(job((0, 1, 0), (0, 2, 0)))  # the pool still has two working readers
    assert [d["status"] for d in again["documents"]] == ["ok", "ok"]


@pytest.mark.slow  # a reader is killed and a new one started: about 10 s
def test_a_document_that_hangs_its_reader_times_out_alone(pool_pipeline, monkeypatch):
    monkeypatch.setattr(concurrency, "GRACE_S", 0.5)
    pipeline = pool_pipeline(readers=2, timeout_s=1.0)
    output = pipeline.run_job(job((0, 5, 0), HANG, (0, 6, 0)))
    documents = output["documents"]
    assert [d["status"] for d in documents] == ["ok", "error", "ok"]
    assert documents[1]["error"]["code"] == "timeout"
    assert pipeline.readers.replaced == 1


def test_readers_that_cannot_start_leave_the_documents_to_the_worker(pool_pipeline):
    pipeline = pool_pipeline(readers=2, command=[sys.executable, "-c", "pass"])
    output = pipeline.run_job(job((0, 5, 0), (0, 6, 0), (0, 7, 0)))
    assert [d["status"] for d in output["documents"]] == ["ok", "ok", "ok"]
    assert {vendor(d) for d in output["documents"]} == {"TOTAL 12.50"}  # read by the worker's engine


def test_the_pool_is_sized_by_document_concurrency(monkeypatch):
    monkeypatch.setattr(concurrency, "usable_cores", lambda: 6)
    monkeypatch.setattr("extraction.settings.concurrency.usable_cores", lambda: 6)
    limits = Limits()
    monkeypatch.setenv("DOCUMENT_CONCURRENCY", "3")
    pool = reader_pool_for("rapidocr", limits)
    assert pool is not None and pool.readers == 3 and pool.threads == 2  # the cores shared between them
    assert pool.timeout_s == limits.document_timeout_s
    monkeypatch.setenv("DOCUMENT_CONCURRENCY", "1")
    assert reader_pool_for("rapidocr", limits) is None  # one after the other, in the worker
    monkeypatch.delenv("DOCUMENT_CONCURRENCY")
    assert reader_pool_for("rapidocr", limits).readers == 6  # one per usable core
    monkeypatch.setenv("DOCUMENT_CONCURRENCY", "4")
    assert reader_pool_for("paddle", limits) is None  # a GPU engine: one copy of the model


def test_a_reader_gets_its_share_of_the_cores_as_inference_threads(monkeypatch):
    monkeypatch.setattr(concurrency, "usable_cores", lambda: 8)
    assert ReaderPool(4).threads == 2
    assert ReaderPool(16).threads == 1


def test_a_reader_grown_over_its_memory_limit_is_replaced_after_its_document():
    pool = ReaderPool(2, ocr_name="scripted", timeout_s=60.0, command=SCRIPTED, max_rss_mb=1)  # every reader is over 1 MB
    pipeline = Pipeline(FakeOcr(), FakeExtractor(), Limits(extract_batch_size=3), readers=pool)
    try:
        output = pipeline.run_job(job((0, 3, 0), (0, 4, 0), (0, 5, 0)))
        documents = output["documents"]
        assert [d["status"] for d in documents] == ["ok", "ok", "ok"]
        assert [vendor(d).split()[-1] for d in documents] == ["3", "4", "5"]
        assert len({vendor(d).split()[1] for d in documents}) == 3  # a fresh process for every document
        assert pool.retired == 3 and pool.replaced == 0
    finally:
        pool.close()


def test_readers_under_their_memory_limit_are_kept(shared_pipeline):
    pool = shared_pipeline.readers
    retired = pool.retired
    shared_pipeline.run_job(job((0, 1, 0), (0, 2, 0)))
    assert pool.retired == retired and pool.max_rss_mb == 0
    assert all(reader.rss_mb is None or reader.rss_mb > 1 for reader in list(pool._idle.queue))
