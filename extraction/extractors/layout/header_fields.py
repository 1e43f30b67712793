"""Vendor name and address fields from the header-line classifier's reading of the page.

Why separate from :mod:`.header_model`: the model says which rows; this module turns rows into
field values with the same cleaning the rule finders apply (registration numbers cut from the
name, ids and phone numbers cut from the address), so the two paths differ only in the choice
of rows, which is what the held-out measurements compare.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

from extraction.extractors.layout.address import TRAILING_TAX_ID, before_contact, row_text_without_ids
from extraction.extractors.layout.header_lines import address_score, is_stop_line, ocr_confidence
from extraction.extractors.layout.header_model import load_model, read_header, vendor_anchor
from extraction.extractors.layout.labels import Candidate
from extraction.extractors.layout.rows import PageLayout
from extraction.extractors.layout.vendor import clean_vendor, header_block, row_scores, vendor_row_text
from extraction.layout import union_bbox
from extraction.normalize.fields import clean_text
from extraction.schema import ExtractedField

#: the model's row probability under which the rules decide instead
MIN_VENDOR_PROBABILITY = 0.3
MIN_ADDRESS_PROBABILITY = 0.3
#: how much surer (probability points) the model must be of another row to overrule the rules
OVERRULE_MARGIN = 0.5


@dataclass
class LearnedHeader:
    vendor: ExtractedField
    vendor_rows: list[Any]
    address: Optional[ExtractedField]


def learned_anchor(layout: PageLayout, model_path: Optional[str] = None) -> Optional[tuple[int, float]]:
    """The header row the vendor name starts from, and the model's probability for it, or None
    (no model): the rules' joining of name rows then starts there. The model overrules the
    rules' choice only when it is much surer of another row (:data:`OVERRULE_MARGIN`)."""
    model = load_model(model_path or os.environ.get("HEADER_MODEL_PATH") or None)
    if model is None:
        return None
    header = header_block(layout)
    scores = row_scores(header)
    ranked = [i for i, s in enumerate(scores) if s is not None]
    rule_choice = max(ranked, key=lambda i: scores[i]) if ranked else None  # type: ignore[arg-type,return-value]
    margin = float(os.environ.get("EXP_MARGIN", OVERRULE_MARGIN))
    return vendor_anchor(layout, model, rule_choice, len(header), margin)


def learned_header(layout: PageLayout, model_path: Optional[str] = None) -> Optional[LearnedHeader]:
    """The vendor (and address, when the model is sure of one) the classifier reads, or None."""
    model = load_model(model_path or os.environ.get("HEADER_MODEL_PATH") or None)
    if model is None:
        return None
    reading = read_header(layout, model)
    if reading is None or reading.vendor_probability < MIN_VENDOR_PROBABILITY:
        return None
    rows = reading.vendor
    raw = " ".join(vendor_row_text(r) for r in rows)
    text = clean_vendor(raw)
    if sum(ch.isalpha() for ch in text) < 2:
        return None
    conf = reading.vendor_probability * ocr_confidence(rows)
    vendor = Candidate(text, raw, rows[0].segs[0], bbox=union_bbox([r.bbox for r in rows])).as_field(conf)
    address = None
    if reading.address and reading.address_probability >= MIN_ADDRESS_PROBABILITY:
        address = _address_from_rows(reading.address, reading.address_probability)
    return LearnedHeader(vendor, rows, address)


def _address_from_rows(picked: list[Any], probability: float) -> Optional[ExtractedField]:
    parts = []
    for i, row in enumerate(picked):
        if i == len(picked) - 1 and is_stop_line(row):
            head = before_contact(row)
            parts.append(head if head else row_text_without_ids(row))
        else:
            parts.append(row_text_without_ids(row))
    text = TRAILING_TAX_ID.sub("", clean_text(" ".join(parts))).strip()
    if not text:
        return None
    if picked[-1].text.strip().endswith(".") and not text.endswith(".") and address_score(picked[-1]) > 0:
        text += "."
    conf = probability * ocr_confidence(picked)
    return Candidate(text, "\n".join(r.text for r in picked), picked[0].segs[0], bbox=union_bbox([r.bbox for r in picked])).as_field(conf)
