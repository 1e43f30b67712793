"""``--errors-gallery``: a picture per wrong field, and finding where an expected value is printed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from extraction.evaluate.aggregate import box_near_text
from extraction.evaluate.cli import main
from extraction.evaluate.gallery import PANEL_WIDTH, render_tile
from extraction.overlay.draw import EXPECTED_COLOUR, confidence_colour
from tests import test_evaluate_cli as harness


@pytest.fixture(autouse=True)
def answers():
    harness.ANSWERS.clear()
    harness.ANSWERS.update({k: dict(v) for k, v in harness.GOOD.items()})
    yield harness.ANSWERS
    harness.ANSWERS.clear()


def _has(image: Image.Image, colour, box=None) -> bool:
    array = np.asarray(image.crop(box) if box else image).astype(int)
    return bool((np.abs(array - np.array(colour)).max(axis=2) <= 10).any())


def test_gallery_has_a_picture_per_wrong_header_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = harness.make_dataset(tmp_path / "tiny")
    gallery = tmp_path / "gallery"
    code = main([str(data), "--workers", "1", "--no-progress", "--errors-gallery", str(gallery)], factory=harness.FakePipeline)
    assert code == 0
    pictures = sorted(p.name for p in gallery.glob("*.png"))
    # b: total wrong; c: date spurious; broken: total missing (it failed: no page to show, still listed)
    assert pictures == ["0001_tiny_b_total.png", "0002_tiny_c_date.png", "0003_tiny_broken_total.png"]
    index = (gallery / "index.html").read_text()
    assert all(name in index for name in pictures) and "expected &#x27;5.00&#x27;, predicted &#x27;50.00&#x27;" in index
    assert "3 pictures written" in capsys.readouterr().err

    wrong = Image.open(gallery / "0001_tiny_b_total.png").convert("RGB")
    picture = (0, 30, PANEL_WIDTH, wrong.height - 80)  # the left panel without its title and captions
    assert _has(wrong, confidence_colour(0.96), picture)  # the predicted box, in its confidence colour


def test_tile_puts_the_expected_location_beside_the_prediction():
    page = Image.new("RGB", (400, 600), "white")
    row = {
        "id": "r1", "field": "total", "kind": "wrong", "expected": "15.90", "predicted": "15.00", "predicted_text": "15.00",
        "confidence": 0.9, "page": 1, "bbox": [300, 500, 360, 520], "expected_box": [1, 300, 540, 360, 560],
    }
    tile = render_tile(row, {1: page})
    pictures = (30, tile.height - 80)  # without the title and the captions
    assert _has(tile, EXPECTED_COLOUR, (PANEL_WIDTH, pictures[0], tile.width, pictures[1]))
    assert not _has(tile, EXPECTED_COLOUR, (0, pictures[0], PANEL_WIDTH, pictures[1]))
    assert _has(tile, confidence_colour(0.9), (0, pictures[0], PANEL_WIDTH, pictures[1]))


LINES = [
    [1, 10, 10, 300, 30, "THREE STOOGES"],
    [1, 10, 40, 300, 60, "NO. 53, JALAN BESAR, 45600 BATANG"],
    [1, 10, 70, 300, 90, "SELANGOR DARUL EHSAN"],
    [1, 10, 100, 60, 120, "7"],
    [1, 10, 130, 300, 150, "TOTAL 9.00"],
]


def test_an_expected_value_printed_over_two_lines_is_boxed_over_both():
    assert box_near_text(LINES, "NO.53,JALAN BESAR,45600 BATANG SELANGOR DARUL EHSAN") == [1, 10.0, 40.0, 300.0, 90.0]


def test_a_short_line_does_not_contain_a_long_value():
    assert box_near_text(LINES, "NO. 7, JALAN MAWAR") is None
    assert box_near_text(LINES, "9.00") == [1, 10.0, 130.0, 300.0, 150.0]
    assert box_near_text(LINES, "5.00") is None


def test_errors_rows_carry_the_boxes(tmp_path: Path) -> None:
    data = harness.make_dataset(tmp_path / "tiny")
    errors = tmp_path / "errors.jsonl"
    assert main([str(data), "--workers", "1", "--no-progress", "--errors", str(errors)], factory=harness.FakePipeline) == 0
    rows = {(r["id"], r["field"]): r for r in map(json.loads, errors.read_text().splitlines())}
    wrong = rows[("b", "total")]
    assert (wrong["page"], wrong["bbox"]) == (1, [0, 10, 50, 20])
    assert wrong["expected_box"] is None  # 5.00 is printed nowhere on b's page
