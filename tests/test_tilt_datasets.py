"""Real receipts (SROIE's own OCR boxes and images) pass the TILT input rules, and labels are locatable."""

from __future__ import annotations

import json
from types import SimpleNamespace

from PIL import Image

from conftest import dataset_dir
from tilt_support import clean_env, fake_vllm  # noqa: F401 - fixtures

from extraction.extractors.tilt.answers import locate
from extraction.extractors.tilt.convert import to_tilt_document, token_counter
from extraction.layout import DocumentText, Line, PageText, polygon_to_bbox


def sroie_documents(limit: int):
    root = dataset_dir("sroie-dev")
    with open(root / "manifest.jsonl", encoding="utf-8") as fh:
        for raw in list(fh)[:limit]:
            entry = json.loads(raw)
            image = Image.open(root / entry["file"])
            lines = []
            for row in (root / entry["ocr_boxes"]).read_text(encoding="utf-8", errors="replace").splitlines():
                parts = row.split(",", 8)
                if len(parts) == 9:
                    points = [(float(parts[i]), float(parts[i + 1])) for i in range(0, 8, 2)]
                    lines.append(Line.from_text(parts[8], polygon_to_bbox(points)))
            yield entry, DocumentText([PageText(1, image.width, image.height, lines, "dataset", image)])


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
