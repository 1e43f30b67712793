"""Real receipts (SROIE's own OCR boxes and images) pass the TILT input rules, and labels are locatable."""

from __future__ import annotations

import json
from types import SimpleNamespace

from PIL import Image

from extraction.evaluate.manifest import boxes_to_document, read_ocr_boxes
from extraction.extractors.tilt.answers import locate
from extraction.extractors.tilt.convert import to_tilt_document, token_counter
from tests.support.paths import dataset_dir
from tests.support.tilt import clean_env, fake_vllm  # noqa: F401 - fixtures


def sroie_documents(limit: int):
    """The first ``limit`` receipts, read with the evaluation's own box reader, each with its page image."""
    root = dataset_dir("sroie-dev")
    with open(root / "manifest.jsonl", encoding="utf-8") as fh:
        for raw in list(fh)[:limit]:
            entry = json.loads(raw)
            text = boxes_to_document(read_ocr_boxes(root / entry["ocr_boxes"]), root / entry["file"])
            text.pages[0].image = Image.open(root / entry["file"])
            yield entry, text


def test_sroie_receipts_convert_and_labels_are_located(fake_vllm, limit=12):
    from vllm.multimodal import tilt_processor as tp

    tok = tp.FakeTokenizer()
    cfg = SimpleNamespace(max_seq_length=125000, max_question_length=256, image_limit=250, image_width=768,
                          max_image_height=2048, crop_bboxes=True, prefix_separator=" : ")
    pre = tp.TiltPreprocessor.from_config(model_config=cfg, tokenizer=tok)
    located = total = 0
    for entry, text in sroie_documents(limit):
        conv = to_tilt_document(entry["id"], text, tp, max_pages=16, max_tokens=8192, count_tokens=token_counter(tok))
        assert pre.preprocess(conv.document, [tp.Question("total", "What is the total?")])  # input rules hold
        for label in ("total", "date", "company"):
            value = entry["raw"].get(label)
            if value:
                total += 1
                hit = locate(value, conv.words)
                located += hit is not None
                if hit is not None:
                    x1, y1, x2, y2 = hit.bbox
                    assert 0 <= x1 <= x2 <= text.pages[0].width and 0 <= y1 <= y2 <= text.pages[0].height
    assert total and located / total >= 0.9
