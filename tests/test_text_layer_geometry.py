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
