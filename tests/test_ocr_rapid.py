"""RapidOCR engine: settings from env, and real recognition of the shipped receipt."""

from __future__ import annotations

import pytest

from extraction.ocr.rapid import RapidOcrEngine, params_from_env
from extraction.settings import SettingsError


def test_defaults_and_env_overrides():
    # only our three measured defaults are passed; every other parameter stays RapidOCR's own
    assert params_from_env({}) == {"Global.log_level": "warning", "Det.limit_type": "max", "Det.limit_side_len": 1280, "Global.use_cls": False}
    overridden = params_from_env({"RAPIDOCR_DET_LIMIT_SIDE_LEN": "960", "RAPIDOCR_USE_CLS": "true", "RAPIDOCR_TEXT_SCORE": "0.6"})
    assert overridden["Det.limit_side_len"] == 960
    assert overridden["Global.use_cls"] is True
    assert overridden["Global.text_score"] == 0.6
    assert params_from_env({"RAPIDOCR_USE_CLS": "on", "RAPIDOCR_THREADS": "2"})["Global.use_cls"] is True
    assert params_from_env({"RAPIDOCR_THREADS": "2"})["EngineConfig.onnxruntime.intra_op_num_threads"] == 2


@pytest.mark.parametrize(
    "name, value",
    [("RAPIDOCR_USE_CLS", "maybe"), ("RAPIDOCR_DET_LIMIT_TYPE", "longest"), ("RAPIDOCR_DET_LIMIT_SIDE_LEN", "big"), ("RAPIDOCR_TEXT_SCORE", "2")],
)
def test_a_bad_value_stops_the_engine_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        params_from_env({name: value})


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


def test_quad_growth():
    import numpy as np

    from extraction.ocr.rapid import grow_quad

    # a 100 x 20 line grows by 2 px on each side; at the image edge it is clipped
    grown = grow_quad([[10, 10], [110, 10], [110, 30], [10, 30]], 0.1, 200, 100)
    assert np.allclose(grown, [[8, 8], [112, 8], [112, 32], [8, 32]])
    assert np.allclose(grow_quad([[0, 0], [50, 0], [50, 20], [0, 20]], 0.1, 200, 100)[0], [0, 0])
    # a slanted line grows along its own axes: the top edge stays parallel to the text
    slanted = grow_quad([[50, 50], [150, 40], [152, 60], [52, 70]], 0.1, 300, 300)
    assert np.isclose((slanted[1][1] - slanted[0][1]) / (slanted[1][0] - slanted[0][0]), -0.1, atol=1e-3)


def test_padded_crops_are_part_of_the_engine_description(monkeypatch, receipt_image):
    monkeypatch.setenv("RAPIDOCR_CROP_PAD", "0")
    plain = RapidOcrEngine()
    monkeypatch.setenv("RAPIDOCR_CROP_PAD", "0.1")
    padded = RapidOcrEngine()
    assert "crop_pad" not in plain.describe() and padded.describe()["crop_pad"] == 0.1  # OCR cache keys differ
    assert type(padded._engine).__name__ == "PaddedCropRapidOCR"
    assert [l.text for l in padded.recognize(receipt_image)][0] == "CORNER BAKERY & CAFE"


def test_each_line_is_respaced_from_its_pixels_and_words_follow_the_new_text(monkeypatch, receipt_image):
    import extraction.ocr.rapid as rapid

    seen: list[tuple[str, int]] = []

    def respace_spy(gray, quad, text, glyphs):
        assert gray.mode == "L" and gray.size == receipt_image.size and len(quad) == 4
        seen.append((text, len(glyphs)))
        return text.replace(", ", ",")  # stands in for a decision the ink made

    monkeypatch.setattr(rapid, "respace_line", respace_spy)
    monkeypatch.setenv("RAPIDOCR_RESPACE", "true")
    engine = RapidOcrEngine()
    assert engine.describe()["respace"] is True  # part of the OCR cache key
    lines = engine.recognize(receipt_image)
    assert seen and all(count == len(text.replace(" ", "")) for text, count in seen)  # one glyph per character
    address = next(line for line in lines if line.text.startswith("SPRINGFIELD"))
    assert address.text == "SPRINGFIELD,IL 62701"
    assert [w.text for w in address.words] == ["SPRINGFIELD,IL", "62701"]
    assert address.words[0].bbox[2] < address.words[1].bbox[0]  # boxes around each word's own characters

    seen.clear()
    monkeypatch.setenv("RAPIDOCR_RESPACE", "false")
    plain = RapidOcrEngine()
    assert plain.describe()["respace"] is False
    assert "SPRINGFIELD, IL 62701" in [line.text for line in plain.recognize(receipt_image)] and not seen


def test_words_are_split_at_spaces_and_at_wide_gaps_like_rapidocrs_word_mode():
    from extraction.ocr.rapid import _words_from_glyphs
    from extraction.ocr.spacing import Glyph

    height = 24.0  # one recognition frame is height / 6 = 4 px
    text = "abc de"  # split at its space
    glyphs = [Glyph(char, (x, 12.0)) for char, x in zip("abcde", [10, 16, 22, 34, 40])]
    entries = [(g.text, 0.9, [[g.center[0] - 3, 0], [g.center[0] + 3, 0], [g.center[0] + 3, 24], [g.center[0] - 3, 24]]) for g in glyphs]
    words = _words_from_glyphs(text, glyphs, entries, height)
    assert [w.text for w in words] == ["abc", "de"]
    glyphs = [Glyph(char, (x, 12.0)) for char, x in zip("abcde", [10, 16, 40, 46, 52])]  # 24 px = 6 frames after "ab"
    entries = [(g.text, 0.8, [[g.center[0] - 3, 0], [g.center[0] + 3, 0], [g.center[0] + 3, 24], [g.center[0] - 3, 24]]) for g in glyphs]
    words = _words_from_glyphs("abcde", glyphs, entries, height)
    assert [w.text for w in words] == ["ab", "cde"] and words[1].bbox[0] == 37 and words[0].confidence == 0.8
    assert _words_from_glyphs("abcdef", glyphs, entries, height) == []  # text and characters disagree


def test_a_failure_while_respacing_keeps_the_recognisers_text(monkeypatch, receipt_image, caplog):
    import extraction.ocr.rapid as rapid

    def broken(*_args):
        raise ValueError("bad crop")

    monkeypatch.setattr(rapid, "respace_line", broken)
    monkeypatch.setenv("RAPIDOCR_RESPACE", "true")
    lines = RapidOcrEngine().recognize(receipt_image)
    assert "SPRINGFIELD, IL 62701" in [line.text for line in lines]
    assert "respacing a line failed" in caplog.text
