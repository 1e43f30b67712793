"""RapidOCR engine: settings from env, and real recognition of the shipped receipt."""

from __future__ import annotations

from extraction.ocr.rapid import DEFAULT_PARAMS, RapidOcrEngine, params_from_env


def test_defaults_and_env_overrides():
    params = params_from_env({})
    assert params["Det.limit_side_len"] == DEFAULT_PARAMS["Det.limit_side_len"]
    assert params["Global.use_cls"] is False
    overridden = params_from_env({"RAPIDOCR_DET_LIMIT_SIDE_LEN": "960", "RAPIDOCR_USE_CLS": "true", "RAPIDOCR_TEXT_SCORE": "0.6"})
    assert overridden["Det.limit_side_len"] == 960
    assert overridden["Global.use_cls"] is True
    assert overridden["Global.text_score"] == 0.6


def test_recognizes_receipt_lines_with_word_boxes_in_reading_order(receipt_image):
    lines = RapidOcrEngine().recognize(receipt_image)
    texts = [line.text for line in lines]
    assert texts[0] == "CORNER BAKERY & CAFE"
    assert "SUBTOTAL" in texts and "$15.90" in texts
    assert texts.index("SUBTOTAL") < texts.index("$15.90")
    width, height = receipt_image.size
    for line in lines:
        x1, y1, x2, y2 = line.bbox
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        assert " ".join(w.text for w in line.words).replace(" ", "") == line.text.replace(" ", "")
        assert 0.0 < line.confidence <= 1.0


def test_rec_model_path_and_word_boxes_come_from_env(monkeypatch, receipt_image):
    assert params_from_env({"RAPIDOCR_REC_MODEL": "/models/en_rec.onnx"})["Rec.model_path"] == "/models/en_rec.onnx"
    monkeypatch.setenv("RAPIDOCR_WORD_BOXES", "false")
    engine = RapidOcrEngine()
    assert engine.describe()["word_boxes"] is False  # part of the OCR cache key
    lines = engine.recognize(receipt_image)
    # words are then spread over the line box by character count, still covering the line's text
    assert lines and all(" ".join(w.text for w in l.words) == " ".join(l.text.split()) for l in lines)
