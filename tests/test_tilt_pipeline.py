"""TILT inside the pipeline: answers normalised like the CPU path, CPU values as fallback, queries."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from extraction.extractors.tilt import TiltExtractor
from extraction.layout import Line
from extraction.pipeline import Pipeline
from tests.support.tilt import clean_env, fake_vllm, receipt  # noqa: F401 - fixtures


class OneLineOcr:
    name = "one-line-ocr"

    def recognize(self, image):
        return [Line.from_text("INVOICE TOTAL 12.50", (10, 10, 300, 40), 0.9)]

    def describe(self):
        return {"name": self.name}


def test_answers_are_normalised_like_the_cpu_path(fake_vllm):
    fake_vllm.answers.update({("r1", "total"): "RM 12,50", ("r1", "date"): "03/04/2024", ("r1", "vendor_name"): " ACME STORE :"})
    pipe = Pipeline(ocr=OneLineOcr(), extractor=TiltExtractor())
    result = pipe.extract_text("r1", receipt(), fields=["total", "date", "vendor_name"], date_order="DMY")
    assert result.status == "ok"
    assert result.fields["total"].value == "12.50"
    assert result.fields["total"].text == "RM 12,50"
    assert result.fields["date"].value == "2024-04-03"
    assert result.fields["vendor_name"].value == "ACME STORE"
    assert result.engines["extractor"] == "tilt"


def test_invalid_tilt_amount_uses_the_rules_value(fake_vllm):
    fake_vllm.answers[("r1", "total")] = "paid by card"
    pipe = Pipeline(ocr=OneLineOcr(), extractor=TiltExtractor())
    result = pipe.extract_text("r1", receipt(total="12.50"), fields=["total"])
    assert result.fields["total"].value == "12.50"
    assert any("paid by card" in w and "CPU extractor" in w for w in result.warnings)


def test_job_with_custom_queries(fake_vllm):
    fake_vllm.default = ""
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buf, format="PNG")
    job = {"document": {"base64": base64.b64encode(buf.getvalue()).decode(), "id": "img"},
           "fields": ["total"], "queries": {"po_number": "What is the purchase order number?"}}
    from vllm.engine.llm_engine import FakeAnswer

    pipe = Pipeline(ocr=OneLineOcr(), extractor=TiltExtractor())
    fake_vllm.answers[("img", "total")] = FakeAnswer("12.50", 0.75)
    fake_vllm.answers[("img", "custom:po_number")] = "PO-4711"
    out = pipe.run_job(job)
    doc = out["documents"][0]
    assert doc["status"] == "ok", doc
    assert doc["fields"]["total"]["value"] == "12.50"
    assert doc["fields"]["total"]["confidence"] == pytest.approx(0.75)
    assert doc["custom"]["po_number"]["value"] == "PO-4711"
    sent = [p for _, p in fake_vllm.added]
    assert {p.feature_name for p in sent} == {"total", "custom:po_number"}


def test_digital_pdf_reaches_tilt_with_a_rendered_page_image(fake_vllm):
    """Text-layer pages: boxes and the rendered image must share the page's unit and aspect."""
    from pathlib import Path

    pdf = Path(__file__).resolve().parents[1] / "samples" / "invoice.pdf"
    extractor = TiltExtractor()
    pipe = Pipeline(ocr=OneLineOcr(), extractor=extractor)
    job = {"document": {"base64": base64.b64encode(pdf.read_bytes()).decode(), "id": "pdf"}, "fields": ["total"]}
    out = pipe.run_job(job)
    doc = out["documents"][0]
    assert doc["status"] == "ok", doc
    document, _ = extractor.engine.preprocessor.calls[-1]
    assert document.pages[0].image.getextrema()[0] < 128  # the rendered page, not a blank stand-in
    sent = [p for _, p in fake_vllm.added if p.document_ident == "pdf"]
    assert sent and sent[0].pages >= 1 and sent[0].encoder_tokens > 20
    assert doc["engines"]["pages"]["1"] == "text_layer"


def test_cuda_fault_leaves_the_pipeline_as_a_fatal_error(fake_vllm):
    """Not a per-document error: the document gets worker_failed, the process stops serving
    (the handler then asks the platform to replace it) and later documents reach no engine."""
    fake_vllm.step_error_docs.add("r1")  # the fake's default step error is a CUDA fault
    pipe = Pipeline(ocr=OneLineOcr(), extractor=TiltExtractor())
    result = pipe.extract_text("r1", receipt(), fields=["total"])
    assert result.status == "error" and result.error.code == "worker_failed"
    assert "GPU failed during a TILT step" in (pipe.faults.reason or "")
    steps_before = len(fake_vllm.steps)
    later = pipe.extract_text("r2", receipt(), fields=["total"])
    assert later.error.code == "worker_failed"
    assert len(fake_vllm.steps) == steps_before