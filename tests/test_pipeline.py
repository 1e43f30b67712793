"""The pipeline's job handling with fake engines: batching, isolation of failures, output shape."""

from __future__ import annotations

import base64

import pytest

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.errors import ErrorCode
from extraction.pipeline import JobInputError, Pipeline
from extraction.schema import JobOutput
from tests.support.engines import FakeExtractor, FakeOcr


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _png(image) -> str:
    return _b64(samplegen.image_bytes(image, "PNG"))


def test_batch_with_one_corrupt_document_keeps_the_others(fake_pipeline, receipt_image, invoice_pdf):
    output = fake_pipeline.run_job(
        {
            "documents": [
                {"id": "photo", "base64": _png(receipt_image)},
                {"id": "broken", "base64": _b64(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)},
                {"id": "pdf", "base64": _b64(invoice_pdf)},
                {"id": "not-b64", "base64": "%%%"},
            ]
        }
    )
    JobOutput.model_validate(output)  # the output honours its published schema
    by_id = {d["id"]: d for d in output["documents"]}
    assert [d["id"] for d in output["documents"]] == ["photo", "broken", "pdf", "not-b64"]
    assert by_id["photo"]["status"] == "ok" and by_id["pdf"]["status"] == "ok"
    assert by_id["broken"]["error"]["code"] == ErrorCode.CORRUPT_DOCUMENT.value
    assert by_id["not-b64"]["error"]["code"] == ErrorCode.INVALID_BASE64.value
    assert output["summary"] == {"documents": 4, "succeeded": 2, "failed": 2}
    # The photo went through OCR, the PDF page through its text layer.
    assert by_id["photo"]["engines"]["pages"] == {"1": "fake-ocr"}
    assert by_id["pdf"]["engines"]["pages"] == {"1": "text_layer"}
    assert by_id["pdf"]["fields"]["vendor_name"]["value"] == "Northwind Supplies Ltd"
    assert set(by_id["photo"]["timings_ms"]) >= {"load", "ocr", "extract", "rules", "total"}


def test_documents_are_extracted_in_batches(receipt_image):
    extractor = FakeExtractor()
    pipeline = Pipeline(FakeOcr(), extractor, Limits(extract_batch_size=2))
    pipeline.run_job({"documents": [{"id": f"d{i}", "base64": _png(receipt_image)} for i in range(5)]})
    assert extractor.batches == [["d0", "d1"], ["d2", "d3"], ["d4"]]


def test_extractor_crash_on_one_document_fails_only_that_one(receipt_image):
    pipeline = Pipeline(FakeOcr("FAIL here"), FakeExtractor(), Limits())
    good = Pipeline(FakeOcr(), FakeExtractor(), Limits())
    image = _png(receipt_image)
    # Same pipeline, two documents: make the second one fail by giving it a different OCR text.
    ocr = FakeOcr()
    texts = iter(["TOTAL 1.00", "FAIL", "TOTAL 2.00"])
    ocr.recognize = lambda img: FakeOcr(next(texts)).recognize(img)  # type: ignore[method-assign]
    mixed = Pipeline(ocr, FakeExtractor(), Limits())
    output = mixed.run_job({"documents": [{"id": "a", "base64": image}, {"id": "b", "base64": image}, {"id": "c", "base64": image}]})
    assert [d["status"] for d in output["documents"]] == ["ok", "error", "ok"]
    assert output["documents"][1]["error"]["code"] == ErrorCode.EXTRACTION_FAILED.value
    assert pipeline.run_job({"document": {"base64": image}})["documents"][0]["status"] == "error"
    assert good.run_job({"document": {"base64": image}})["documents"][0]["status"] == "ok"


def test_field_subset_return_ocr_and_ids(fake_pipeline, invoice_pdf):
    output = fake_pipeline.run_job(
        {"document": {"base64": _b64(invoice_pdf)}, "fields": ["vendor_name", "total"], "options": {"return_ocr": True}}
    )
    document = output["documents"][0]
    assert document["id"] == "document-1"
    assert set(document["fields"]) == {"vendor_name", "total"}
    assert document["fields"]["total"] is None  # requested but not found: explicit null
    assert document["line_items"] == []
    page = document["ocr"][0]
    assert page["source"] == "text_layer" and page["number"] == 1
    words = [w["text"] for line in page["lines"] for w in line["words"]]
    assert "INV-2024-0042" in words
    assert all(len(w["bbox"]) == 4 for line in page["lines"] for w in line["words"])


def test_job_level_limits_and_errors(receipt_image):
    pipeline = Pipeline(FakeOcr(), FakeExtractor(), Limits(max_documents_per_job=2))
    with pytest.raises(JobInputError) as info:
        pipeline.run_job({"documents": [{"base64": "QQ=="}] * 3})
    assert info.value.code == ErrorCode.TOO_MANY_DOCUMENTS
    image = _png(receipt_image)
    small_job = Pipeline(FakeOcr(), FakeExtractor(), Limits(max_job_bytes=len(base64.b64decode(image)) + 10))
    output = small_job.run_job({"documents": [{"id": "first", "base64": image}, {"id": "second", "base64": image}]})
    assert [d["status"] for d in output["documents"]] == ["ok", "error"]
    assert output["documents"][1]["error"]["code"] == ErrorCode.TOO_LARGE.value


def test_progress_is_reported_per_document(fake_pipeline, receipt_image):
    seen = []
    fake_pipeline.run_job(
        {"documents": [{"base64": _png(receipt_image)}, {"base64": "!!"}]},
        progress=lambda done, total, result: seen.append((done, total, result.status)),
    )
    assert seen == [(1, 2, "ok"), (2, 2, "error")]


def test_ocr_engine_failure_is_a_document_error(receipt_image):
    class BrokenOcr(FakeOcr):
        def recognize(self, image):
            raise MemoryError("onnxruntime arena")

    output = Pipeline(BrokenOcr(), FakeExtractor(), Limits()).run_job({"document": {"base64": _png(receipt_image)}})
    assert output["documents"][0]["error"]["code"] == ErrorCode.OCR_FAILED.value


def test_unexpected_failure_is_internal_error_for_that_document_only(fake_pipeline, receipt_image, monkeypatch):
    import extraction.pipeline as pipeline_module

    real_load = pipeline_module.load_document
    calls = {"n": 0}

    def flaky_load(data, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ZeroDivisionError("a bug")
        return real_load(data, **kwargs)

    monkeypatch.setattr(pipeline_module, "load_document", flaky_load)
    image = _png(receipt_image)
    output = fake_pipeline.run_job({"documents": [{"id": "a", "base64": image}, {"id": "b", "base64": image}]})
    assert output["documents"][0]["error"]["code"] == ErrorCode.INTERNAL_ERROR.value
    assert "a bug" not in output["documents"][0]["error"]["message"]
    assert output["documents"][1]["status"] == "ok"
