"""Shape buckets (``RAPIDOCR_DET_SHAPE_STEP``, ``RAPIDOCR_REC_WIDTH_STEP``, ``RAPIDOCR_REC_FULL_BATCHES``):
the models see only a few input shapes, the inputs are padded and never narrowed, and what comes
back is what the unpadded inputs give, in the lines' own order."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from extraction.ocr.rapid import RapidOcrEngine
from extraction.ocr.rapid_models import PaddedDetectorSession, ShapeBuckets, _recognizer_class, round_up
from extraction.settings import load_settings
from extraction.settings.rapidocr import RapidOcrSettings


@pytest.mark.parametrize("value, step, expected", [(600, 128, 640), (640, 128, 640), (641, 128, 768), (33, 0, 33), (1, 160, 160)])
def test_round_up(value, step, expected):
    assert round_up(value, step) == expected


def test_the_detector_sees_padded_inputs_and_hands_on_the_pages_own_map():
    seen: list[tuple[int, ...]] = []

    def detector(batch: np.ndarray) -> np.ndarray:  # a text map: the input's first channel, doubled
        seen.append(batch.shape)
        return batch[:, :1] * 2.0

    session = PaddedDetectorSession(detector, 128)
    page = np.random.default_rng(1).normal(size=(1, 3, 1280, 608)).astype(np.float32)
    out = session(page)
    assert seen == [(1, 3, 1280, 640)]
    assert out.shape == (1, 1, 1280, 608)
    np.testing.assert_array_equal(out, page[:, :1] * 2.0)
    session(page[:, :, :1280, :640])
    assert seen[-1] == (1, 3, 1280, 640)  # already on a bucket: passed as it is


class _FrameReader:
    """A stand-in recogniser: every 8 px frame holding ink (not the zero padding) reads as one
    character, the next of "abcd" in turn, so a line's text says how many of its columns were inked."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def have_key(self) -> bool:
        return True

    def get_character_list(self) -> list[str]:
        return list("abcd")

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.shapes.append(batch.shape)
        frames = -(-batch.shape[3] // 8)  # a last, partial frame too: it sees the columns it covers
        columns = np.zeros(batch.shape[:3] + (frames * 8,), dtype=np.float32)
        columns[..., : batch.shape[3]] = np.abs(batch)
        inked = columns.reshape(batch.shape[0], batch.shape[1], batch.shape[2], frames, 8).max(axis=(1, 2, 4)) > 0.5
        preds = np.zeros((batch.shape[0], frames, 5), dtype=np.float32)  # class 0: CTC blank
        for row in range(batch.shape[0]):
            for frame in range(frames):
                preds[row, frame, 1 + frame % 4 if inked[row, frame] else 0] = 1.0
        return preds


def _recognizer(buckets: ShapeBuckets, session: _FrameReader, batch: int = 3):
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    cls = type("R", (_recognizer_class(),), {"buckets": buckets})
    recognizer = cls.__new__(cls)
    recognizer.session = session
    recognizer.postprocess_op = CTCLabelDecode(character=session.get_character_list(), character_path=None)
    recognizer.rec_batch_num = batch
    recognizer.rec_image_shape = [3, 48, 320]
    recognizer.cfg = SimpleNamespace(lang_type="en", font_path=None)
    return recognizer


def _lines() -> list[np.ndarray]:
    """White line crops (ink everywhere) of many widths, not in width order."""
    return [np.full((32, width, 3), 255, dtype=np.uint8) for width in (400, 90, 1210, 300, 777, 150, 2050)]


def _read(recognizer, lines):
    from rapidocr.ch_ppocr_rec.typings import TextRecInput

    return recognizer(TextRecInput(img=lines, return_word_box=True))


def test_recogniser_batches_take_bucketed_widths_and_read_as_before():
    plain_session, bucketed_session = _FrameReader(), _FrameReader()
    plain = _read(_recognizer(ShapeBuckets(), plain_session), _lines())
    bucketed = _read(_recognizer(ShapeBuckets(rec_width_step=160), bucketed_session), _lines())
    assert all(shape[3] % 160 == 0 for shape in bucketed_session.shapes)
    assert any(shape[3] % 160 for shape in plain_session.shapes)  # RapidOCR's own widths are not bucketed
    for plain_shape, bucketed_shape in zip(plain_session.shapes, bucketed_session.shapes):
        assert bucketed_shape[3] >= plain_shape[3]  # padded, never narrowed
    assert bucketed.txts == plain.txts  # every line's inked columns read alike, each line in its own place
    assert len(set(plain.txts)) > 3
    for plain_word, bucketed_word in zip(plain.word_results, bucketed.word_results):
        assert bucketed_word.line_txt_len == pytest.approx(plain_word.line_txt_len, rel=0.02)


def test_full_batches_pad_the_last_batch_with_blank_lines():
    session = _FrameReader()
    out = _read(_recognizer(ShapeBuckets(rec_width_step=160, rec_full_batches=True), session, batch=3), _lines())
    assert [shape[0] for shape in session.shapes] == [3, 3, 3]  # 7 lines: 3 + 3 + 1 padded to 3
    assert len(out.txts) == 7 and all(out.txts)


def test_buckets_are_part_of_the_engine_description_only_when_on(receipt_image):
    width, height = receipt_image.size
    top = receipt_image.crop((0, 0, width, height // 3))
    plain = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {"RAPIDOCR_RUNTIME": "onnxruntime"}))
    bucketed = RapidOcrEngine(
        settings=load_settings(
            RapidOcrSettings, {"RAPIDOCR_RUNTIME": "onnxruntime", "RAPIDOCR_DET_SHAPE_STEP": "128", "RAPIDOCR_REC_WIDTH_STEP": "160"}
        )
    )
    assert "det_shape_step" not in plain.describe() and "rec_width_step" not in plain.describe()
    assert bucketed.describe()["det_shape_step"] == 128 and bucketed.describe()["rec_width_step"] == 160
    assert [line.text for line in bucketed.recognize(top)][0] == [line.text for line in plain.recognize(top)][0]


def test_a_page_over_rapidocrs_size_limit_is_reduced_first_and_reads_the_same(receipt_image):
    """RapidOCR reads a page over its ``max_side_len`` at that size: reduced by us first (less
    memory), the text and the line boxes, in the page's own pixels, are the same."""
    width, height = receipt_image.size
    top = receipt_image.crop((0, 0, width, height // 4))
    big = top.resize((2600, round(2600 * top.height / top.width)))
    assert max(big.size) > 2000
    env = {"RAPIDOCR_RUNTIME": "onnxruntime"}
    later = RapidOcrEngine(settings=load_settings(RapidOcrSettings, {**env, "RAPIDOCR_REDUCE_FIRST": "false"}))
    first = RapidOcrEngine(settings=load_settings(RapidOcrSettings, env))
    assert first.reduce_first and first._reduced(np.zeros((2600, 300, 3), np.uint8), first._engine)[0].shape[0] <= 2000
    assert first._reduced(np.zeros((2600, 10, 3), np.uint8), first._engine)[0].shape[0] == 2600  # too thin to reduce: as it is
    as_before, reduced = later.recognize(big), first.recognize(big)
    assert [line.text for line in reduced] == [line.text for line in as_before] and reduced
    for a, b in zip(as_before, reduced):
        assert max(abs(p - q) for p, q in zip(a.bbox, b.bbox)) < 1.0  # page pixels, not the reduced copy's
        assert all(max(abs(p - q) for p, q in zip(u.bbox, v.bbox)) < 0.01 * big.width for u, v in zip(a.words, b.words))
