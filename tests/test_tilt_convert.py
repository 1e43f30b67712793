"""DocumentText -> TILT Document, checked by the fake preprocessor's input rules."""

from __future__ import annotations

import pytest
from PIL import Image

from extraction.extractors.tilt.convert import NoWordsError, page_image, to_grayscale, to_tilt_document, token_counter
from extraction.layout import DocumentText
from tests.support.tilt import clean_env, fake_vllm, page, receipt  # noqa: F401 - fixtures


@pytest.fixture
def tp(fake_vllm):
    from vllm.multimodal import tilt_processor

    return tilt_processor


def _convert(tp, text, **kw):
    tok = tp.FakeTokenizer()
    kw.setdefault("max_pages", 16)
    kw.setdefault("max_tokens", 8192)
    return to_tilt_document("doc", text, tp, count_tokens=token_counter(tok), **kw)


def _preprocess(tp, document):
    from types import SimpleNamespace

    cfg = SimpleNamespace(max_seq_length=125000, max_question_length=256, image_limit=250, prefix_separator=" : ")
    pre = tp.TiltPreprocessor.from_config(model_config=cfg, tokenizer=tp.FakeTokenizer())
    return pre.preprocess(document, [tp.Question(feature_name="total", text="What is the total?")])


def test_words_not_lines_boxes_in_page_unit(tp):
    conv = _convert(tp, receipt())
    pg = conv.document.pages[0]
    assert "TOTAL" in pg.words and "12.50" in pg.words  # split lines into words
    assert all(" " not in w for w in pg.words)
    assert (pg.width, pg.height) == (600.0, 900.0)
    assert max(b[2] for b in pg.bboxes) <= pg.width and max(b[3] for b in pg.bboxes) <= pg.height
    assert pg.image.mode == "L"
    assert [lw.word.text for lw in conv.words] == pg.words
    assert len(_preprocess(tp, conv.document)) == 1  # the fake's input checks pass


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "1", "I;16", "CMYK", "P", "LA"])
def test_page_image_becomes_l_with_page_aspect(tp, mode):
    image = Image.new(mode, (1200, 1800))
    doc = receipt(image=image)
    conv = _convert(tp, doc)
    img = conv.document.pages[0].image
    assert img.mode == "L"
    assert img.width == 768
    assert abs(img.height / img.width - 900 / 600) < 0.01
    _preprocess(tp, conv.document)


def test_image_with_other_aspect_is_fitted_to_the_page(tp):
    doc = receipt(image=Image.new("RGB", (500, 500), "white"))  # page is 600x900
    img = _convert(tp, doc).document.pages[0].image
    assert abs(img.height / img.width - 1.5) < 0.01
    _preprocess(tp, _convert(tp, doc).document)


def test_transparent_background_turns_white():
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert to_grayscale(rgba).getpixel((5, 5)) == 255


def test_sixteen_bit_image_is_rescaled_not_clipped():
    img = Image.new("I;16", (4, 1))
    for x, v in enumerate([0, 1000, 2000, 4000]):
        img.putpixel((x, 0), v)
    out = to_grayscale(img)
    assert out.mode == "L"
    assert [out.getpixel((x, 0)) for x in range(4)] == [0, 64, 128, 255]


def test_no_image_gives_white_l_page():
    pg = page([("hello", (0, 0, 100, 20))], width=612, height=792)
    img = page_image(pg)
    assert img.mode == "L" and img.getextrema() == (255, 255)
    assert abs(img.height / img.width - 792 / 612) < 0.01


def test_boxes_outside_the_page_are_clamped(tp):
    doc = DocumentText(pages=[page([("far right", (550, 10, 700, 30))], width=600, height=900)])
    pg = _convert(tp, doc).document.pages[0]
    assert max(b[2] for b in pg.bboxes) == 600
    _preprocess(tp, _convert(tp, doc).document)


def test_page_cap(tp):
    pages = [page([(f"page {i}", (10, 10, 200, 30))], number=i) for i in range(1, 6)]
    conv = _convert(tp, DocumentText(pages=pages), max_pages=2)
    assert conv.pages_sent == 2
    assert {w.page for w in conv.words} == {1, 2}
    assert any("TILT_MAX_PAGES" in w for w in conv.warnings)


def test_token_cap_truncates_and_warns(tp):
    pages = [page([("alpha beta gamma delta", (10, 10, 400, 30))], number=i) for i in range(1, 4)]
    tok = tp.FakeTokenizer()
    per_page = sum(token_counter(tok)(["alpha", "beta", "gamma", "delta"]))
    conv = _convert(tp, DocumentText(pages=pages), max_tokens=per_page + 2)
    assert conv.tokens <= per_page + 2
    assert conv.pages_sent == 2 and len(conv.document.pages[1].words) < 4
    assert any("TILT_MAX_DOC_TOKENS" in w for w in conv.warnings)


def test_blank_pages_are_skipped_and_empty_document_raises(tp):
    blank = page([("   ", (10, 10, 100, 30))], number=1)
    text = page([("hello", (10, 10, 100, 30))], number=2)
    conv = _convert(tp, DocumentText(pages=[blank, text]))
    assert conv.pages_sent == 1 and conv.words[0].page == 2
    with pytest.raises(NoWordsError):
        _convert(tp, DocumentText(pages=[blank]))
    with pytest.raises(NoWordsError):
        _convert(tp, DocumentText(pages=[]))


def test_fake_preprocessor_rejects_what_the_real_one_cannot_take(tp):
    """The fake is only useful if it is strict: normalised boxes, RGB images, empty docs."""
    img = Image.new("L", (768, 1152), 255)
    bad_unit = tp.Document("d", [tp.Page(["a"], [(0.1, 0.1, 0.2, 0.2)], 1.0, 1.0, Image.new("L", (768, 768)))])
    with pytest.raises(AssertionError):
        _preprocess(tp, bad_unit)
    mixed_unit = tp.Document("d", [tp.Page(["a"], [(100, 100, 900, 200)], 1.0 * 612, 792.0, img)])
    with pytest.raises(AssertionError):
        _preprocess(tp, mixed_unit)
    rgb = tp.Document("d", [tp.Page(["a"], [(1, 1, 2, 2)], 600, 900, Image.new("RGB", (600, 900)))])
    with pytest.raises(AssertionError):
        _preprocess(tp, rgb)
    with pytest.raises(IndexError):
        _preprocess(tp, tp.Document("d", [tp.Page([" "], [(1, 1, 2, 2)], 600, 900, img)]))
    with pytest.raises(ValueError):
        _preprocess(tp, tp.Document("d", []))


def test_token_count_matches_what_the_preprocessor_sees(tp):
    pages = [page([("Invoice INV-2024/001 dated 03.04.2024", (10, 10, 500, 30)), ("Total EUR 1.234,56", (10, 40, 300, 60))], number=i)
             for i in (1, 2)]
    conv = _convert(tp, DocumentText(pages=pages))
    assert conv.tokens == _preprocess(tp, conv.document)[0].encoder_tokens
