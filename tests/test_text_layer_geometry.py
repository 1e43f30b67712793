"""The text layer's character boxes transformed all at once match the one-by-one transform."""

from __future__ import annotations

import numpy as np
import pytest

from extraction.documents import _PageView


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_boxes_of_many_characters_are_each_ones_box(rotation: int) -> None:
    view = _PageView(rotation, left=12.0, bottom=-3.5, width=595.0, height=842.0)
    rng = np.random.default_rng(7)
    lefts, bottoms = rng.uniform(0, 500, 50), rng.uniform(0, 800, 50)
    raw = np.stack([lefts, bottoms, lefts + rng.uniform(1, 20, 50), bottoms + rng.uniform(1, 15, 50)], axis=1)
    many = view.boxes(raw, 200 / 72)
    assert many.shape == (50, 4)
    for row, box in zip(raw.tolist(), many.tolist()):
        assert tuple(box) == view.box(*row, 200 / 72)


def test_character_boxes_read_in_one_pass_equal_pdfiums_own_helper() -> None:
    """The direct pdfium loop gives exactly ``get_charbox(i, loose=True)`` for every character."""
    from pathlib import Path

    import pypdfium2 as pdfium

    from extraction.documents import _loose_char_boxes

    pdf = pdfium.PdfDocument((Path(__file__).resolve().parent.parent / "samples" / "invoice.pdf").read_bytes())
    try:
        textpage = pdf[0].get_textpage()
        indexes = list(range(textpage.count_chars()))
        assert len(indexes) > 50
        boxes = _loose_char_boxes(textpage, indexes)
        assert boxes.shape == (len(indexes), 4)
        assert [tuple(row) for row in boxes.tolist()] == [textpage.get_charbox(i, loose=True) for i in indexes]
        with pytest.raises(pdfium.PdfiumError):
            _loose_char_boxes(textpage, [len(indexes) + 10])  # no such character: the helper's error
        textpage.close()
    finally:
        pdf.close()
