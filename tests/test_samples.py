"""The shipped samples, end to end with the CPU engines: every labelled value comes out exactly."""

from __future__ import annotations

import json

import pytest

from tests.support.paths import SAMPLES

MANIFEST = [json.loads(line) for line in (SAMPLES / "manifest.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def cpu_pipeline():
    from extraction.pipeline import Pipeline

    return Pipeline.from_env(ocr="rapidocr", extractor="rules")


@pytest.mark.parametrize("item", MANIFEST, ids=[item["id"] for item in MANIFEST])
def test_sample_values_are_extracted_exactly(cpu_pipeline, item):
    result = cpu_pipeline.extract_bytes((SAMPLES / item["file"]).read_bytes(), doc_id=item["id"])
    assert result.status == "ok", result.error
    expected = dict(item["fields"])
    expected_items = expected.pop("line_items")
    got = {name: (field.value if field else None) for name, field in result.fields.items() if name in expected}
    assert got == expected
    got_items = [{k: getattr(line, k) for k in ("description", "quantity", "unit_price", "amount")} for line in result.line_items]
    assert got_items == expected_items
    assert all(check.passed for check in result.validation), result.validation
    placed = {name: 0.0 < f.confidence <= 1.0 and f.page == 1 and f.bbox is not None for name, f in result.fields.items() if name in expected}
    assert [name for name, ok in placed.items() if not ok] == []  # each has a confidence in (0, 1], page 1 and a box


def test_samples_manifest_matches_the_generator():
    from extraction import samplegen

    by_id = {item["id"]: item["fields"] for item in MANIFEST}
    assert by_id["receipt"] == {**samplegen.RECEIPT_VALUES, "line_items": samplegen.RECEIPT_ITEMS}
    assert by_id["invoice"] == {**samplegen.INVOICE_VALUES, "line_items": samplegen.INVOICE_ITEMS}
