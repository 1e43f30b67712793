"""The TILT extractor end to end through the fake vllm: batching, answers, failures per document."""

from __future__ import annotations

import pytest

from extraction.errors import DocumentError, ErrorCode, FatalWorkerError
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.extractors.tilt import TiltExtractor
from extraction.extractors.tilt import extractor as tilt_extractor
from extraction.layout import DocumentText
from extraction.schema import ExtractedField, LineItem
from tests.support.tilt import clean_env, fake_vllm, page, receipt  # noqa: F401 - fixtures


def req(doc_id, text=None, fields=("total", "vendor_name"), queries=None):
    return ExtractionRequest(doc_id, text or receipt(), frozenset(fields), dict(queries or {}))


class StubCpu:
    """A CPU extractor stand-in with fixed results per document id."""

    name = "rules"

    def __init__(self, results):
        self.results = results
        self.calls = 0

    def extract(self, requests):
        self.calls += 1
        self.requests = list(requests)
        return [self.results.get(r.document_id, Extraction()) for r in requests]


def fields_asked(behaviour, doc_id):
    return sorted(p.feature_name for _, p in behaviour.added if p.document_ident == doc_id)


def test_all_documents_are_batched_together(fake_vllm):
    from vllm.engine.llm_engine import FakeAnswer

    fake_vllm.answers.update({
        ("a", "total"): FakeAnswer("12.50", 0.7),
        ("b", "total"): FakeAnswer("99.00", 0.6),
        ("a", "vendor_name"): "ACME STORE",
        ("b", "vendor_name"): "OTHER SHOP",
    })
    out = TiltExtractor(fallback=None).extract([
        req("a"), req("b", receipt(vendor="OTHER SHOP", total="99.00")),
    ])
    first_step = fake_vllm.steps[0]
    assert len(first_step) == 4  # both documents' questions run in the same step
    assert len(fake_vllm.built) == 1
    a, b = out
    assert a.fields["total"].value == "12.50" and b.fields["total"].value == "99.00"
    assert a.fields["total"].confidence == pytest.approx(0.7)
    assert b.fields["vendor_name"].value == "OTHER SHOP"
    assert a.fields["total"].page == 1 and a.fields["total"].bbox[1] == 300.0


def test_only_requested_fields_are_asked(fake_vllm):
    TiltExtractor(fallback=None).extract([req("a", fields=("date",)), req("b", fields=("total", "tax", "line_items"))])
    assert fields_asked(fake_vllm, "a") == ["date"]
    assert fields_asked(fake_vllm, "b") == ["tax", "total"]


def test_custom_queries_come_back_in_custom(fake_vllm):
    fake_vllm.answers[("a", "custom:po_number")] = "PO-7 | PO-8"
    fake_vllm.answers[("a", "custom:table")] = "None"
    out = TiltExtractor(fallback=None).extract([
        req("a", fields=(), queries={"po_number": "What is the purchase order number?", "table": "Table number?"})
    ])[0]
    assert out.fields == {}
    assert out.custom["po_number"].value == ["PO-7", "PO-8"]
    assert out.custom["table"] is None
    sent = {p.feature_name: p.question_text for _, p in fake_vllm.added}
    assert sent["custom:po_number"] == "What is the purchase order number?"


def test_empty_answer_is_not_found(fake_vllm):
    fake_vllm.answers[("a", "total")] = ""
    fake_vllm.answers[("a", "vendor_name")] = "ACME STORE"
    out = TiltExtractor(fallback=None).extract([req("a")])[0]
    assert "total" not in out.fields and "vendor_name" in out.fields


def test_multi_value_answer_keeps_first_valid_value_with_warning(fake_vllm, monkeypatch):
    monkeypatch.setattr(tilt_extractor, "normalize", _amount_only_normalize)
    fake_vllm.answers[("a", "total")] = "TOTAL | 12.50 | 13.00"
    out = TiltExtractor(fallback=None).extract([req("a", fields=("total",))])[0]
    assert out.fields["total"].value == "12.50"
    assert any("total" in w and "3 values" in w for w in out.warnings)


class _Norm:
    def __init__(self, value):
        self.value = value
        self.warnings = []


def _amount_only_normalize(field, text, date_order):
    """Stands in for the rules normaliser: amounts must parse, other fields pass through."""
    if field in ("total", "subtotal", "tax"):
        try:
            return _Norm(f"{float(text.replace(',', '.')):.2f}")
        except ValueError:
            return None
    return _Norm(text)


def test_invalid_answer_falls_back_to_cpu_value_with_warning(fake_vllm, monkeypatch):
    monkeypatch.setattr(tilt_extractor, "normalize", _amount_only_normalize)
    fake_vllm.answers[("a", "total")] = "TWELVE"
    fake_vllm.answers[("b", "total")] = "TWELVE"
    cpu_total = ExtractedField(value="12.50", text="12.50", confidence=0.6, page=1, bbox=[1, 2, 3, 4])
    cpu = StubCpu({"a": Extraction(document_type="receipt", fields={"total": cpu_total})})
    a, b = TiltExtractor(fallback=cpu).extract([req("a", fields=("total",)), req("b", fields=("total",))])
    assert a.fields["total"] == cpu_total
    assert any("TWELVE" in w and "CPU extractor" in w for w in a.warnings)
    assert "total" not in b.fields and any("left empty" in w for w in b.warnings)


def test_cpu_pass_gives_type_questions_document_type_and_line_items(fake_vllm):
    items = [LineItem(description="Coffee", quantity="2", unit_price="3.00", amount="6.00")]
    dtype = ExtractedField(value="receipt", text="receipt", confidence=0.8)
    cpu = StubCpu({"a": Extraction(document_type="receipt", fields={"document_type": dtype}, line_items=items)})
    extractor = TiltExtractor(fallback=cpu)
    out = extractor.extract([req("a", fields=("vendor_name", "document_type", "line_items"))])[0]
    asked = {p.feature_name: p.question_text for _, p in fake_vllm.added}
    assert asked == {"vendor_name": extractor.questions.for_document("receipt")["vendor_name"]}
    assert asked["vendor_name"] != extractor.questions.for_document(None)["vendor_name"]
    assert out.document_type == "receipt" and out.fields["document_type"] == dtype
    assert out.line_items == items
    # the CPU pass always determines the type (it picks the questions) but gets no custom queries
    other = extractor.extract([req("a", fields=("vendor_name",), queries={"q": "Q?"})])[0]
    assert other.document_type is None and other.line_items == []
    assert "document_type" in cpu.requests[0].fields and cpu.requests[0].queries == {}


def test_key_style_sends_key_names(fake_vllm, monkeypatch):
    monkeypatch.setenv("TILT_QUESTION_STYLE", "key")
    TiltExtractor(fallback=None).extract([req("a", fields=("total",))])
    assert [p.question_text for _, p in fake_vllm.added] == ["total amount"]


def test_ignored_request_fails_only_its_document(fake_vllm):
    """Without a known pool size the document is not capped to it; the scheduler ignores it."""
    long_text = DocumentText(pages=[page([("word " * 1500, (10, 10, 590, 30))])])
    fake_vllm.kv_capacity_tokens = 1200
    fake_vllm.report_kv_blocks = False
    fake_vllm.answers[("short", "total")] = "12.50"
    short, long_ = TiltExtractor(fallback=None).extract([req("short", fields=("total",)), req("long", long_text)])
    assert isinstance(short, Extraction) and short.fields["total"].value == "12.50"
    assert isinstance(long_, DocumentError) and long_.code is ErrorCode.EXTRACTION_FAILED
    assert "GPU memory" in long_.message


def test_document_is_capped_to_the_kv_pool_instead_of_being_ignored(fake_vllm):
    long_text = DocumentText(pages=[page([("word " * 1500, (10, 10, 590, 30))])])
    fake_vllm.kv_capacity_tokens = 1200
    fake_vllm.answers[("long", "total")] = "12.50"
    out = TiltExtractor(fallback=None).extract([req("long", long_text, fields=("total",))])[0]
    assert isinstance(out, Extraction) and out.fields["total"].value == "12.50"
    assert any("TILT read the document up to" in w for w in out.warnings)
    prompt = next(p for _, p in fake_vllm.added)
    assert prompt.encoder_tokens + prompt.question_tokens + 513 <= 1200


def test_question_over_the_limit_fails_only_its_document(fake_vllm):
    fake_vllm.answers[("ok", "total")] = "12.50"
    huge = "what is " * 200
    ok, bad = TiltExtractor(fallback=None).extract([req("ok", fields=("total",)), req("bad", queries={"x": huge})])
    assert ok.fields["total"].value == "12.50"
    assert isinstance(bad, DocumentError) and bad.code is ErrorCode.INVALID_INPUT and "'x'" in bad.message
    assert not any(p.document_ident == "bad" for _, p in fake_vllm.added)


def _three(fake_vllm):
    fake_vllm.answers[("a", "total")] = "12.50"
    fake_vllm.answers[("c", "total")] = "7.00"
    return [req("a", fields=("total",)), req("boom", fields=("total",)), req("c", fields=("total",))]


def _long_text():
    return DocumentText(pages=[page([(f"w{i} " * 60, (10, 10 + i * 9, 590, 18 + i * 9)) for i in range(100)])])


def test_engine_exception_is_isolated_to_its_document(fake_vllm):
    fake_vllm.step_error_docs.add("boom")
    fake_vllm.step_error = lambda: RuntimeError("shape mismatch in the encoder")
    a, boom, c = TiltExtractor(fallback=None).extract(_three(fake_vllm))
    assert a.fields["total"].value == "12.50" and c.fields["total"].value == "7.00"
    assert isinstance(boom, DocumentError) and boom.code is ErrorCode.EXTRACTION_FAILED
    assert "RuntimeError" in boom.message
    assert fake_vllm.aborted  # the failed batch was aborted before the retry


def test_abort_goes_through_the_scheduler_when_the_engine_abort_raises(fake_vllm):
    """The fork's LLMEngine.abort_request raises TypeError (scheduler signature); nothing may be left behind."""
    from vllm.engine.llm_engine import LLMEngine

    fake_vllm.step_error_docs.add("boom")
    fake_vllm.step_error = lambda: RuntimeError("shape mismatch in the encoder")
    extractor = TiltExtractor(fallback=None)
    extractor.engine._engine_abort_ok = True  # try the engine first, as with a fork that says it is patched
    with pytest.raises(TypeError, match="seq_id_to_seq_group"):
        LLMEngine.abort_request(extractor.engine._engine, ["nothing"])  # what the real one does
    a, boom, c = extractor.extract(_three(fake_vllm))
    assert isinstance(boom, DocumentError) and a.fields["total"].value == "12.50"
    assert not extractor.engine._engine.has_unfinished_requests()
    fake_vllm.step_error_docs.clear()
    fake_vllm.answers[("next", "total")] = "1.00"
    assert extractor.extract([req("next", fields=("total",))])[0].fields["total"].value == "1.00"


def test_patched_fork_aborts_through_the_engine(fake_vllm, monkeypatch):
    import vllm.tilt

    monkeypatch.setattr(vllm.tilt, "PATCHES", ("scheduler-abort-signature",))
    fake_vllm.step_error_docs.add("boom")
    fake_vllm.step_error = lambda: RuntimeError("shape mismatch in the encoder")
    extractor = TiltExtractor(fallback=None)
    assert extractor.engine._engine_abort_ok
    a, boom, c = extractor.extract(_three(fake_vllm))
    assert isinstance(boom, DocumentError) and c.fields["total"].value == "7.00"
    assert not extractor.engine._engine.has_unfinished_requests()


def test_cuda_fault_makes_the_worker_exit(fake_vllm):
    """After a CUDA error the context is unusable: no per-document error, the worker must be replaced."""
    fake_vllm.step_error_docs.add("boom")  # default: "CUDA error: an illegal memory access was encountered"
    with pytest.raises(FatalWorkerError, match="illegal memory access"):
        TiltExtractor(fallback=None).extract(_three(fake_vllm))


def test_requests_that_survive_the_abort_make_the_worker_exit(fake_vllm):
    fake_vllm.step_error_docs.add("boom")
    fake_vllm.step_error = lambda: RuntimeError("shape mismatch in the encoder")
    fake_vllm.abort_keeps_requests = True
    with pytest.raises(FatalWorkerError, match="still holds"):
        TiltExtractor(fallback=None).extract(_three(fake_vllm))


def test_unpatched_fork_never_gets_an_encoder_only_step(fake_vllm):
    """The cap keeps every document within one step's chunks, so the SamplerOutput() step never happens."""
    fake_vllm.answers[("long", "total")] = "12.50"
    fake_vllm.answers[("short", "total")] = "3.00"
    short, long_ = TiltExtractor(fallback=None).extract(
        [req("short", fields=("total", "vendor_name")), req("long", _long_text(), fields=("total", "date", "vendor_name"))]
    )
    assert long_.fields["total"].value == "12.50" and short.fields["total"].value == "3.00"
    assert fake_vllm.encoder_only_steps == 0
    assert any("TILT read the document up to" in w and "TILT_MAX_DOC_TOKENS" in w for w in long_.warnings)
    prompt = next(p for _, p in fake_vllm.added if p.document_ident == "long")
    assert prompt.encoder_tokens <= 4 * (1024 - prompt.question_tokens)


def test_patched_fork_reads_long_documents_over_several_steps(fake_vllm, monkeypatch):
    import vllm.tilt

    monkeypatch.setattr(vllm.tilt, "PATCHES", ("scheduler-abort-signature", "empty-step-sampler-output"))
    fake_vllm.answers[("long", "total")] = "12.50"
    out = TiltExtractor(fallback=None).extract([req("long", _long_text(), fields=("total",))])[0]
    assert out.fields["total"].value == "12.50" and not out.warnings
    assert fake_vllm.encoder_only_steps >= 1  # the step the unpatched runner cannot return from


def test_encoder_only_step_failure_is_reported_and_engine_recovers(fake_vllm, monkeypatch):
    """A wheel that claims the fix but lacks it: the step raises TypeError, the document fails alone."""
    import vllm.tilt

    monkeypatch.setattr(vllm.tilt, "PATCHES", ("empty-step-sampler-output",))
    extractor = TiltExtractor(fallback=None)
    monkeypatch.setattr(vllm.tilt, "PATCHES", ())  # the runner is unpatched after all
    err = extractor.extract([req("long", _long_text(), fields=("total",))])[0]
    assert isinstance(err, DocumentError) and "TypeError" in err.message and "TILT_MAX_DOC_TOKENS" in err.message
    assert not extractor.engine._engine.has_unfinished_requests()
    fake_vllm.answers[("next", "total")] = "1.00"
    assert extractor.extract([req("next", fields=("total",))])[0].fields["total"].value == "1.00"


def test_preprocessor_errors_are_labelled_by_what_raised(fake_vllm, monkeypatch):
    extractor = TiltExtractor(fallback=None)

    def raising(exc):
        def preprocess(document, questions):
            raise exc
        return preprocess

    pre = extractor.engine._preprocessor
    monkeypatch.setattr(pre, "preprocess", raising(RuntimeError("out of memory in tokenizer")))
    out = extractor.extract([req("a", fields=("total",))])[0]
    assert out.code is ErrorCode.EXTRACTION_FAILED and "out of memory in tokenizer" in out.message
    monkeypatch.setattr(pre, "preprocess", raising(ValueError("zip() argument 2 is longer than argument 1")))
    out = extractor.extract([req("a", fields=("total",))])[0]
    assert isinstance(out, DocumentError) and out.code is ErrorCode.EXTRACTION_FAILED and "zip()" in out.message
    monkeypatch.setattr(pre, "preprocess", raising(RuntimeError(
        "Tokenized question has length 300 which is more than maximum permitted length 256.")))
    assert extractor.extract([req("a", fields=("total",))])[0].code is ErrorCode.INVALID_INPUT


def test_request_refused_by_add_request_fails_only_its_document(fake_vllm):
    fake_vllm.add_error_docs.add("bad")
    fake_vllm.answers[("ok", "total")] = "12.50"
    ok, bad = TiltExtractor(fallback=None).extract([req("ok", fields=("total",)), req("bad", fields=("total",))])
    assert ok.fields["total"].value == "12.50"
    assert isinstance(bad, DocumentError) and bad.code is ErrorCode.EXTRACTION_FAILED and "ValueError" in bad.message


def test_no_words_skips_the_model(fake_vllm):
    blank = DocumentText(pages=[page([("   ", (10, 10, 100, 30))])])
    out = TiltExtractor(fallback=None).extract([req("blank", blank, queries={"q": "What?"})])[0]
    assert isinstance(out, Extraction) and out.fields == {} and out.custom == {"q": None}
    assert any("no words" in w for w in out.warnings)
    assert fake_vllm.added == []


def test_request_ids_are_unique_across_jobs(fake_vllm):
    extractor = TiltExtractor(fallback=None)
    extractor.extract([req("a")])
    extractor.extract([req("a")])
    ids = [rid for rid, _ in fake_vllm.added]
    assert len(ids) == len(set(ids)) == 4


def test_answer_cut_at_output_limit_is_kept_with_warning(fake_vllm, monkeypatch):
    monkeypatch.setenv("TILT_MAX_OUTPUT_TOKENS", "2")
    fake_vllm.answers[("a", "vendor_name")] = "ACME STORE INTERNATIONAL"
    out = TiltExtractor(fallback=None).extract([req("a", fields=("vendor_name",))])[0]
    assert out.fields["vendor_name"].text and out.fields["vendor_name"].text != "ACME STORE INTERNATIONAL"
    assert any("output length limit" in w for w in out.warnings)


def test_page_cap_never_exceeds_the_image_limit(fake_vllm, monkeypatch):
    monkeypatch.setenv("TILT_MAX_PAGES", "1000")
    pages = [page([(f"TOTAL {i}.00", (10, 10, 200, 30))], number=i) for i in range(1, 261)]
    out = TiltExtractor(fallback=None).extract([req("many", DocumentText(pages=pages), fields=("total",))])[0]
    assert isinstance(out, Extraction)  # the fake raises past image_limit (250) pages
    assert any("250 of 260 pages" in w for w in out.warnings)


def test_a_document_that_breaks_conversion_fails_alone(fake_vllm, monkeypatch):
    fake_vllm.answers[("ok", "total")] = "12.50"
    broken = receipt()
    broken.pages[0].image = object()  # not an image
    ok, bad = TiltExtractor(fallback=None).extract([req("ok", fields=("total",)), req("bad", broken, fields=("total",))])
    assert ok.fields["total"].value == "12.50"
    assert isinstance(bad, DocumentError) and bad.code is ErrorCode.EXTRACTION_FAILED
