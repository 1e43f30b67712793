"""Synthetic receipts as OCR lines: deterministic, readable by the evaluation, and the paid
amount they print is what the extractor reports across languages, long and narrow rolls."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("fpdf")  # builder.synth's font metrics

from builder.synth_receipts.__main__ import main as synth_main  # noqa: E402
from builder.synth_receipts.lines import make_receipt  # noqa: E402
from extraction.evaluate.manifest import boxes_to_document, load_dataset, read_ocr_boxes  # noqa: E402
from extraction.extractors.base import ExtractionRequest  # noqa: E402
from extraction.extractors.layout.extractor import RulesExtractor  # noqa: E402


def test_same_seed_same_receipt_other_seed_another() -> None:
    a, b, c = make_receipt(3, 0), make_receipt(3, 0), make_receipt(4, 0)
    assert a.lines == b.lines and a.fields == b.fields
    assert a.lines != c.lines


def test_every_line_has_a_box_on_the_roll_and_the_truth_is_printed() -> None:
    receipt = make_receipt(5, 1)
    assert receipt.lines
    for (x1, y1, x2, y2), text in receipt.lines:
        assert 0 <= x1 < x2 <= receipt.width + 1 and 0 <= y1 < y2 <= receipt.height + 1, text
    printed = " ".join(text for _, text in receipt.lines)
    assert receipt.fields["vendor_name"] in printed
    assert receipt.height > receipt.width  # a roll, not a page


def test_the_command_writes_boxes_the_evaluation_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth_main(["--n", "3", "--out", str(tmp_path), "--seed", "2", "--locales", "de-DE,fr-FR"]) == 0
    assert "--ocr-source dataset" in capsys.readouterr().out
    dataset = load_dataset(tmp_path)
    assert len(dataset.entries) == 3 and dataset.has_ocr_boxes
    rows = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {row["language"] for row in rows} <= {"de", "fr"}
    entry = dataset.entries[0]
    document = boxes_to_document(read_ocr_boxes(entry.ocr_boxes))
    assert [line.text for line in document.pages[0].lines] == [text for _, text in make_receipt(2, 0, ["de-DE", "fr-FR"]).lines]


def test_the_extractor_reads_the_paid_total_of_synthetic_receipts_in_many_languages() -> None:
    extractor = RulesExtractor()
    receipts = [make_receipt(21, index) for index in range(40)]
    assert len({r.language for r in receipts}) >= 6
    requests = [ExtractionRequest(r.id, r.document(), frozenset({"total"})) for r in receipts]
    results = extractor.extract(requests)
    right = sum(
        1 for r, result in zip(receipts, results)
        if "total" in result.fields and Decimal(str(result.fields["total"].value)) == Decimal(r.fields["total"])
    )
    assert right >= 37, f"{right} of {len(receipts)} totals right"
