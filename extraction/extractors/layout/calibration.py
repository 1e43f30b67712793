"""Field confidence calibration: raw rule scores -> probability that the field is right.

The rule extractor's raw confidence ranks candidates well but its scale differs per field
(a vendor name at 0.8 is right less often than a date at 0.8). ``data/calibration.json`` holds one
monotone curve per field, fitted by ``builder/calibrate_rules.py`` on labelled sets; fields
without a curve, or a missing file, keep the raw value.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Optional

CALIBRATION_PATH = Path(__file__).with_name("data") / "calibration.json"


@lru_cache(maxsize=4)
def load_curves(path: Optional[str] = None) -> dict[str, list[tuple[float, float]]]:
    file = Path(path) if path else CALIBRATION_PATH
    if not file.is_file():
        return {}
    data = json.loads(file.read_text(encoding="utf-8"))
    return {name: [(float(x), float(y)) for x, y in points] for name, points in data.get("fields", {}).items() if points}


def calibrate(field: str, raw: float, curves: Optional[dict[str, list[tuple[float, float]]]] = None) -> float:
    """Piecewise-linear interpolation on the field's curve (flat beyond its ends)."""
    points = (load_curves() if curves is None else curves).get(field)
    if not points:
        return raw
    if raw <= points[0][0]:
        # below anything seen while fitting: scale down rather than flatten, so weak evidence stays weak
        return points[0][1] * raw / points[0][0] if points[0][0] > 0 else points[0][1]
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        if raw <= x2:
            return y1 if x2 == x1 else y1 + (y2 - y1) * (raw - x1) / (x2 - x1)
    return points[-1][1]


def fit_curve(pairs: list[tuple[float, bool]], bins: int = 8) -> list[tuple[float, float]]:
    """Isotonic (pool-adjacent-violators) fit over quantile bins, with add-one smoothing.

    Bins never split a raw value: rules give many fields one fixed confidence (most addresses
    score exactly 0.8), and cutting such a run into bins sorts its wrong answers into one bin
    and its right ones into the next, so the fit pooled the wrong ones with the lower scores and
    promised 0.33 where answers were right two times in three."""
    pairs = sorted(pairs)
    if not pairs:
        return []
    size = max(1, len(pairs) // bins)
    blocks: list[list[float]] = []  # [sum_x, correct, count]
    start = 0
    while start < len(pairs):
        end = start
        while end < len(pairs) and (end - start < size or pairs[end][0] == pairs[end - 1][0]):
            end += 1  # a bin goes on until it is full and its last raw value is complete
        chunk = pairs[start:end]
        blocks.append([sum(x for x, _ in chunk), sum(1 for _, ok in chunk if ok), len(chunk)])
        start = end
    merged: list[list[float]] = []
    for block in blocks:
        merged.append(block)
        while len(merged) > 1 and (merged[-2][1] + 1) / (merged[-2][2] + 2) > (merged[-1][1] + 1) / (merged[-1][2] + 2):
            last = merged.pop()
            for i in range(3):
                merged[-1][i] += last[i]
    curve: list[tuple[float, float]] = []
    for sx, ok, n in merged:
        point = (round(sx / n, 4), round(min(0.98, max(0.02, (ok + 1) / (n + 2))), 4))
        if curve and point[0] <= curve[-1][0]:
            curve[-1] = (curve[-1][0], max(curve[-1][1], point[1]))  # one knot per raw value
        else:
            curve.append(point)
    return curve
