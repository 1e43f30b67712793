"""Is this line of text upside down? PP-OCR's text-line orientation model (0 or 180 degrees).

The model ships inside the ``rapidocr`` wheel (about 0.6 MB), so it needs no download and
runs on ONNX Runtime like the CPU OCR engine. Character shapes are what tells an upside-down
line from an upright one (geometry cannot: a line turned by 180 degrees is still a line), and
a dozen crops of 48 x 192 pixels cost a few milliseconds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

#: The model's input: 3 x 48 x 192 (height 48, up to 4 times as wide), BGR scaled to [-1, 1].
INPUT_HEIGHT = 48
INPUT_WIDTH = 192

MODEL_FILE = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"


def shipped_model_path() -> Optional[Path]:
    """The model inside the installed ``rapidocr`` wheel, or None when it is not there."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "models" / MODEL_FILE
    return path if path.is_file() else None


class LineOrientationClassifier:
    """Probability that each crop (a text line, upright or not) is upside down."""

    def __init__(self, model_path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.model_path = Path(model_path)
        self._session = ort.InferenceSession(str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def upside_down(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """P(180 degrees) for each BGR crop of height :data:`INPUT_HEIGHT`."""
        if not crops:
            return np.zeros(0)
        batch = np.zeros((len(crops), 3, INPUT_HEIGHT, INPUT_WIDTH), dtype=np.float32)
        for index, crop in enumerate(crops):
            width = min(crop.shape[1], INPUT_WIDTH)
            pixels = crop[:INPUT_HEIGHT, :width].astype(np.float32) / 127.5 - 1.0
            batch[index, :, : pixels.shape[0], :width] = pixels.transpose(2, 0, 1)
        scores = np.asarray(self._session.run(None, {self._input: batch})[0], dtype=np.float64)
        return scores[:, 1] / np.maximum(scores.sum(axis=1), 1e-9)
