"""The learned header-line classifier: which header rows are the shop's name, which its address.

Why a model: which row of a receipt's header is the shop's name is a judgement over many weak
cues at once (type size against the page, a company suffix, capitals, the address and id rows
that follow, how far down it is); hand-weighted rules fitted to one set of shops do not carry
over to shops never seen. A small gradient-boosted classifier over the per-row features of
:mod:`.header_features`, trained by ``builder/train_header_classifier.py`` on one side of a
shop split and exported to ONNX, scores each row as name / address / other; the runs with the
highest evidence are taken. When the model file is missing or unreadable, or its answer is
weak, the rule finders (:mod:`.vendor`, :mod:`.address`) decide as before.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

from extraction.extractors.layout.header_features import FEATURE_NAMES, header_features, header_rows
from extraction.extractors.layout.rows import PageLayout

MODEL_PATH = Path(__file__).with_name("data") / "header_classifier.onnx"

#: class order of the model's probability output
CLASSES = ("other", "vendor", "address")

#: longest label runs the trainer places (SROIE names span up to 3 rows, addresses up to 6)
MAX_VENDOR_ROWS = 3
MAX_ADDRESS_ROWS = 7


class HeaderModel:
    """An ONNX Runtime session over the shipped classifier (one thread, quiet logs)."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort  # a runtime dependency; imported here so the rules load without it

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        n_features = self.session.get_inputs()[0].shape[1]
        if isinstance(n_features, int) and n_features != len(FEATURE_NAMES):
            raise ValueError(f"header model expects {n_features} features, this code computes {len(FEATURE_NAMES)}")

    def probabilities(self, features: Sequence[Sequence[float]]) -> list[list[float]]:
        import numpy as np

        outputs = self.session.run(None, {self.input_name: np.asarray(features, dtype=np.float32)})
        return [list(map(float, row)) for row in outputs[1]]


@lru_cache(maxsize=4)
def load_model(path: Optional[str] = None) -> Optional[HeaderModel]:
    """The classifier at ``path`` (default: the shipped one), or None when absent or unusable."""
    file = Path(path) if path else MODEL_PATH
    if not file.is_file():
        return None
    try:
        return HeaderModel(file)
    except Exception:  # a broken or mismatched file: the rules decide
        return None


def model_record(path: Optional[str] = None) -> dict:
    """What the shipped model was fitted on (``header_classifier.json`` beside it)."""
    file = (Path(path) if path else MODEL_PATH).with_suffix(".json")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def vendor_anchor(layout: PageLayout, model: HeaderModel, rule_choice: Optional[int], limit: int, margin: float) -> Optional[tuple[int, float]]:
    """(row index, probability) of the row most likely the vendor name among the first ``limit``,
    when the model prefers it to the rules' choice by more than ``margin`` (probability points)."""
    rows = header_rows(layout)
    if not rows or limit <= 0:
        return None
    probs = model.probabilities(header_features(layout, rows))[:limit]
    best = max(range(len(probs)), key=lambda i: probs[i][1])
    if rule_choice is not None and rule_choice < len(probs):
        if best == rule_choice or probs[best][1] - probs[rule_choice][1] <= margin:
            return rule_choice, probs[rule_choice][1]
    return best, probs[best][1]
