"""Fake of PaddleOCR 3.x for CPU tests: ``PaddleOCR(**kwargs).predict(image)`` with the result
keys and types of PaddleX's ``OCRResult``. Copied onto ``sys.path`` (and the child process's
``PYTHONPATH``) by the Paddle engine tests; ``FAKE_PADDLE_LOG`` and ``FAKE_PADDLE_FAIL`` steer it."""

import json
import os

import numpy as np


class OCRResult(dict):
    """Dict-like like PaddleX's result object."""


class PaddleOCR:
    def __init__(self, **kwargs):
        for key in ("text_detection_model_dir", "text_recognition_model_dir"):
            if not os.path.isfile(os.path.join(kwargs[key], "inference.yml")):
                raise RuntimeError("model dir without inference.yml: " + kwargs[key])
        self.kwargs = kwargs
        log = os.environ.get("FAKE_PADDLE_LOG")
        if log:
            with open(log, "w") as handle:
                json.dump({"kwargs": kwargs, "pid": os.getpid(),
                           "probe_off": os.environ.get("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK")}, handle)

    def predict(self, image):
        print("paddle chatter on stdout")  # the real library prints; must not break anything
        if not isinstance(image, np.ndarray) or image.ndim != 3:
            raise TypeError("expected an HxWx3 array")
        if os.environ.get("FAKE_PADDLE_FAIL"):
            raise RuntimeError("simulated inference failure")
        h, w = image.shape[:2]
        blue, green, red = (int(v) for v in image[0, 0])
        texts = ["TOTAL   12.50", "ACME  STORE", "  ", "corner b%d g%d r%d" % (blue, green, red)]
        polys = [
            np.array([[10, 80], [200, 82], [200, 100], [10, 98]], dtype=np.int16),   # lower line
            np.array([[10, 10], [150, 10], [150, 30], [10, 30]], dtype=np.int16),    # top line
            np.array([[0, 50], [5, 50], [5, 55], [0, 55]], dtype=np.int16),          # blank text
            np.array([[w - 60, h - 20], [w - 1, h - 20], [w - 1, h - 1], [w - 60, h - 1]], dtype=np.int16),
        ]
        boxes = np.array([[p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()] for p in polys], dtype=np.int16)
        return [OCRResult(
            input_path=None, page_index=None,
            model_settings={"use_doc_preprocessor": False, "use_textline_orientation": self.kwargs["use_textline_orientation"]},
            dt_polys=polys, text_det_params={"limit_side_len": 64, "limit_type": "min"}, text_type="general",
            textline_orientation_angles=np.array([-1] * len(texts)), text_rec_score_thresh=0.0,
            rec_texts=texts, rec_scores=np.array([0.98, 0.91, 0.5, 0.7], dtype=np.float32),
            rec_polys=polys, rec_boxes=boxes,
        )]
