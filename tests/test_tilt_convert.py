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

    cfg = SimpleNamespace(max_seq_length=125000, max_question_length=256, image_limit=250, image_width=768,
                          max_image_height=2048, crop_bboxes=True, prefix_separator=" : ")
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
    """The fake is only useful if it is strict: normalised boxes, image modes, empty docs."""
    img = Image.new("L", (768, 1152), 255)
    bad_unit = tp.Document("d", [tp.Page(["a"], [(0.1, 0.1, 0.2, 0.2)], 1.0, 1.0, Image.new("L", (768, 768)))])
    with pytest.raises(AssertionError):
        _preprocess(tp, bad_unit)
    mixed_unit = tp.Document("d", [tp.Page(["a"], [(100, 100, 900, 200)], 1.0 * 612, 792.0, img)])
    with pytest.raises(AssertionError):
        _preprocess(tp, mixed_unit)
    for mode in ("RGBA", "CMYK", "LA"):  # the real ensure_grayscale cannot view 2 or 4 channels
        four = tp.Document("d", [tp.Page(["a"], [(1, 1, 2, 2)], 600, 900, Image.new(mode, (600, 900)))])
        with pytest.raises(RuntimeError, match="is invalid for input of size"):
            _preprocess(tp, four)
    for mode in ("1", "I;16", "P"):  # accepted by the real one, but divided by 255 as if 8-bit
        misread = tp.Document("d", [tp.Page(["a"], [(1, 1, 2, 2)], 600, 900, Image.new(mode, (600, 900)))])
        with pytest.raises(AssertionError, match="mis-scaled"):
            _preprocess(tp, misread)
    rgb = tp.Document("d", [tp.Page(["a"], [(1, 1, 2, 2)], 600, 900, Image.new("RGB", (600, 900)))])
    assert len(_preprocess(tp, rgb)) == 1  # RGB is read right by the real one
    with pytest.raises(IndexError):
        _preprocess(tp, tp.Document("d", [tp.Page([" "], [(1, 1, 2, 2)], 600, 900, img)]))
    with pytest.raises(ValueError):
        _preprocess(tp, tp.Document("d", []))


def _tall_receipt(height=4000, width=600, with_image=True):
    lines = [(f"ITEM {i} 1.{i:02d}", (20, 30 + i * 40, 400, 55 + i * 40)) for i in range((height - 80) // 40)]
    image = Image.new("RGB", (width, height), "white") if with_image else None
    if image is not None:
        for i in range(0, height, 400):  # a dark band every 400 px, to check which rows each part gets
            image.paste((0, 0, 0), (0, i, width, i + 10))
    return DocumentText(pages=[page(lines, width=width, height=height, image=image)])


def test_tall_page_is_sent_as_bands_that_keep_their_image(tp):
    text = _tall_receipt()
    conv = _convert(tp, text, max_page_ratio=2048 / 768, max_splits=4)
    pages = conv.document.pages
    assert len(pages) == 3  # 4000 / (600 * 2.667) -> 3 bands
    assert sum(p.height for p in pages) == pytest.approx(4000)
    assert all(p.height / p.width <= 2048 / 768 + 1e-6 for p in pages)
    assert all(p.image.width == 768 and abs(p.image.height / 768 - p.height / p.width) < 0.01 for p in pages)
    # every word is sent once, in order, with its box shifted into its band
    assert [w for p in pages for w in p.words] == [w.text for w in text.pages[0].words if w.text.strip()]
    top = 0.0
    for p in pages:
        assert all(0 <= b[1] <= b[3] <= p.height for b in p.bboxes)
        top += p.height
    # no cut goes through a word: each word box lies entirely in one band
    tops = [sum(p.height for p in pages[:i]) for i in range(len(pages))]
    originals = [w.bbox for w in text.pages[0].words]
    sent = [(b[1] + t, b[3] + t) for p, t in zip(pages, tops) for b in p.bboxes]
    assert [(round(a, 3), round(b, 3)) for a, b in sent] == [(round(o[1], 3), round(o[3], 3)) for o in originals]
    # each band's image is its own rows of the page: the dark stripes sit where they are on the page
    for p, t in zip(pages, tops):
        column = [p.image.getpixel((384, y)) for y in range(p.image.height)]
        first_dark = next(y for y, v in enumerate(column) if v < 128)
        assert abs(first_dark - (-(-t // 400) * 400 - t) * 768 / 600) <= 3
    # the answers are still located on the source page with its own boxes
    assert {lw.page for lw in conv.words} == {1} and conv.words[-1].word.bbox == originals[-1]
    tp.CROPPED.clear()
    _preprocess(tp, conv.document)
    assert tp.CROPPED == []  # the real preprocessor would crop none of them


def test_tall_page_unsplit_would_be_cropped(tp):
    conv = _convert(tp, _tall_receipt())  # no max_page_ratio: one page as before
    tp.CROPPED.clear()
    _preprocess(tp, conv.document)
    assert len(tp.CROPPED) == 1


def test_tall_page_beyond_the_band_limit_warns(tp):
    conv = _convert(tp, _tall_receipt(height=9000), max_page_ratio=2048 / 768, max_splits=2)
    assert len(conv.document.pages) == 2
    assert any("taller than TILT's image crop" in w for w in conv.warnings)
    assert len(conv.words) == len([w for w in _tall_receipt(height=9000).pages[0].words])  # no word lost


def test_tall_page_without_image_gets_white_bands(tp):
    conv = _convert(tp, _tall_receipt(with_image=False), max_page_ratio=2048 / 768, max_splits=4)
    assert len(conv.document.pages) == 3
    assert all(p.image.mode == "L" and p.image.getextrema() == (255, 255) for p in conv.document.pages)


def test_extractor_splits_tall_pages(fake_vllm):
    from extraction.extractors.base import ExtractionRequest
    from extraction.extractors.tilt import TiltExtractor

    fake_vllm.answers[("tall", "total")] = "1.05"
    request = ExtractionRequest("tall", _tall_receipt(), frozenset({"total"}), {})
    out = TiltExtractor(fallback=None).extract([request])[0]
    assert out.fields["total"].value == "1.05"
    assert fake_vllm.added[0][1].pages == 3


def test_token_count_matches_what_the_preprocessor_sees(tp):
    pages = [page([("Invoice INV-2024/001 dated 03.04.2024", (10, 10, 500, 30)), ("Total EUR 1.234,56", (10, 40, 300, 60))], number=i)
             for i in (1, 2)]
    conv = _convert(tp, DocumentText(pages=pages))
    assert conv.tokens == _preprocess(tp, conv.document)[0].encoder_tokens
