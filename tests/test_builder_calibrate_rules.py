"""builder/calibrate_rules.py: which documents the confidence fit can read."""

from __future__ import annotations

import json
from pathlib import Path

from builder import calibrate_rules as builder
from tests.support.paths import SAMPLES


def test_image_documents_are_read_only_through_an_ocr_cache(tmp_path: Path) -> None:
    without = tmp_path / "without.json"
    assert builder.main([str(SAMPLES), "--out", str(without)]) == 0
    assert json.loads(without.read_text())["documents"] == 1  # the PDF's text layer only

    cache = tmp_path / "ocr"
    with_ocr = tmp_path / "with.json"
    assert builder.main([str(SAMPLES), "--ocr-cache", str(cache), "--out", str(with_ocr)]) == 0
    payload = json.loads(with_ocr.read_text())
    assert payload["documents"] == 2  # the receipt image read by RapidOCR
    assert payload["samples"]["total"] == 2
    assert any(cache.rglob("*.json"))  # OCR results stored for the next fit
