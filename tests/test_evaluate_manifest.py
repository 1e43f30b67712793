"""Manifest and OCR-box reading: good files load, bad lines are reported with their line number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from extraction.evaluate.manifest import ManifestError, boxes_to_document, load_dataset, read_ocr_boxes
from tests.support.paths import DATASETS


def write_dataset(root: Path, lines: list[str], files: tuple[str, ...] = ("a.png", "b.png")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in files:
        Image.new("RGB", (40, 30), "white").save(root / name)
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


GOOD_A = json.dumps({"id": "a", "file": "a.png", "fields": {"total": "9.00", "date": "2024-01-02", "vendor_name": "ACME"}})
GOOD_B = json.dumps({"id": "b", "file": "b.png", "fields": {"total": "1.50", "date": None}, "raw": {"anything": 1}})


def test_reads_entries_resolves_paths_and_drops_null_labels(tmp_path: Path) -> None:
    dataset = load_dataset(write_dataset(tmp_path / "mine", [GOOD_A, "", GOOD_B]))
    assert dataset.name == "mine"
    assert [e.id for e in dataset.entries] == ["a", "b"]
    assert dataset.entries[0].file == (tmp_path / "mine" / "a.png").resolve()
    assert dataset.entries[1].line == 3
    assert dataset.entries[1].fields == {"total": "1.50"}
    assert dataset.entries[1].unknown == {"date"}
    assert dataset.labelled_fields == ["vendor_name", "date", "total"]  # standard order


def test_limit_and_manifest_path(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "d", [GOOD_A, GOOD_B])
    assert [e.id for e in load_dataset(root / "manifest.jsonl", limit=1).entries] == ["a"]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"file": "b.png", "fields": {}}), 'missing key "id"'),
        (json.dumps({"id": "b", "file": "b.png"}), 'missing key "fields"'),
        (json.dumps({"id": "b", "fields": {}}), 'needs "file"'),
        (json.dumps({"id": "b", "file": "nope.png", "fields": {}}), "does not exist"),
        (json.dumps({"id": "a", "file": "b.png", "fields": {}}), "already used on line 1"),
        (json.dumps({"id": "b", "file": "b.png", "fields": {"totl": "1.00"}}), "unknown field 'totl'"),
        (json.dumps({"id": "b", "file": "b.png", "fields": {"date": "02/01/2024"}}), "not an ISO date"),
        (json.dumps({"id": "b", "file": "b.png", "fields": {"total": "RM 9.00"}}), "not a plain decimal"),
        (json.dumps({"id": "b", "file": "b.png", "fields": {"total": 9.0}}), "must be a string"),
        (json.dumps({"id": "b", "file": "b.png", "fields": {"currency": "€"}}), "ISO 4217"),
        (json.dumps({"id": "b", "file": "b.png", "fields": {"line_items": [{"description": "x", "amount": "a lot"}]}}), "row 1: amount"),
        (json.dumps({"id": "b", "file": "b.png", "fields": {"line_items": [{"name": "x"}]}}), "unknown keys"),
    ],
)
def test_bad_lines_name_the_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    root = write_dataset(tmp_path / "d", [GOOD_A, bad_line])
    with pytest.raises(ManifestError) as info:
        load_dataset(root)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{root / 'manifest.jsonl'}:2: ")
    assert message in str(info.value)


def test_missing_or_empty_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no manifest.jsonl"):
        load_dataset(tmp_path)
    (tmp_path / "manifest.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="no documents"):
        load_dataset(tmp_path)


def test_ocr_boxes_keep_commas_in_text_and_take_page_size_from_image(tmp_path: Path) -> None:
    boxes = tmp_path / "boxes.txt"
    boxes.write_text("10,20,110,20,110,40,10,40,NO.53 55,57 & 59, JALAN\n\n5,50,60,50,60,70,5,70,TOTAL 9.00\n", encoding="utf-8")
    parsed = read_ocr_boxes(boxes)
    assert [b.text for b in parsed] == ["NO.53 55,57 & 59, JALAN", "TOTAL 9.00"]
    assert parsed[0].bbox == (10.0, 20.0, 110.0, 40.0)

    image = tmp_path / "page.png"
    Image.new("RGB", (300, 500), "white").save(image)
    page = boxes_to_document(parsed, image).pages[0]
    assert (page.width, page.height, page.source) == (300.0, 500.0, "dataset")
    assert [w.text for w in page.lines[1].words] == ["TOTAL", "9.00"]

    no_image = boxes_to_document(parsed, None).pages[0]
    assert (no_image.width, no_image.height) == (110.0, 70.0)  # furthest box


def test_bad_box_line_is_reported(tmp_path: Path) -> None:
    boxes = tmp_path / "boxes.txt"
    boxes.write_text("1,2,3,4,5,6,7,8,ok\n1,2,three,4,5,6,7,8,bad\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"boxes.txt:2: .*numbers"):
        read_ocr_boxes(boxes)


def test_shared_datasets_load_when_present() -> None:
    found = [p for p in sorted(DATASETS.glob("*/manifest.jsonl"))] if DATASETS.exists() else []
    if not found:
        pytest.skip("shared datasets not available")
    for manifest in found:
        dataset = load_dataset(manifest.parent)
        assert dataset.entries and dataset.labelled_fields
