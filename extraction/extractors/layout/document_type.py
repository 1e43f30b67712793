"""Document type: invoice or receipt, from evidence weighed on the page.

Why weights from data: titles ("Invoice", "Receipt") settle most documents, but orders,
contracts and statements print no such title, and words such as "Cash" or "Paid" appear on
orders paid in advance. The evidence is therefore what each kind prints that the other does not:
a till receipt's cash arithmetic (tendered, change, rounding amounts the rules read) and its
long narrow strip; a business document's contract, customer-account and due-date labels (label
vocabulary). Weights live in ``data/document_type.json``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from extraction.extractors.layout.amounts import is_cash_sale
from extraction.extractors.layout.candidates import LabelIndex
from extraction.extractors.layout.header_lines import is_title
from extraction.extractors.layout.labels import Candidate
from extraction.extractors.layout.rows import PageLayout, Seg
from extraction.normalize.fields import normalize_document_type
from extraction.schema import ExtractedField

WEIGHTS_FILE = Path(__file__).with_name("data") / "document_type.json"
#: A line of more words than this is running text: the fields it names are not labels.
_PROSE_WORDS = 12


@lru_cache(maxsize=1)
def weights() -> dict[str, Any]:
    return json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))


def business_labels(index: LabelIndex) -> set[str]:
    """Vocabulary fields of business documents labelled on the page (not inside running text),
    from the labels the ranker's index matched once for the document."""
    wanted = set(weights()["invoice"]["labels"])
    found: set[str] = set()
    for seg, matches in zip(index.layout.segs, index.matches):
        if len(seg.text.split()) > _PROSE_WORDS:
            continue
        for m in matches:
            if m.field in wanted and m.strength == "primary" and not m.abbreviation and m.score >= 0.9:
                found.add(m.field)
    return found


def document_type_scores(layout: PageLayout, found: dict[str, ExtractedField], index: Optional[LabelIndex] = None) -> tuple[float, float, Optional[Seg]]:
    """(invoice score, receipt score, the first line naming an invoice)."""
    index = index or LabelIndex(layout)
    w = weights()
    inv, rec = w["invoice"], w["receipt"]
    invoice_score, receipt_score = 0.0, 0.0
    first_invoice: Optional[Seg] = None
    for seg in layout.segs:
        kind = normalize_document_type(seg.text)
        if kind == "invoice":
            invoice_score += inv["title"] if is_title(seg) else inv["mention"]
            first_invoice = first_invoice or seg
        elif kind == "receipt":
            receipt_score += rec["title"] if is_title(seg) else rec["mention"]
    if "due_date" in found:
        invoice_score += inv["due_date_found"]
    invoice_score += min(sum(inv["labels"][f] for f in business_labels(index)), inv["labels_cap"])
    if is_cash_sale(layout):
        receipt_score += rec["cash_sale"]
    if "payment_method" in found:
        receipt_score += rec["payment_method"]
    page = layout.segs[0].page
    width = layout.page_width.get(page, 1.0)
    height = layout.page_height.get(page, 1.0)
    if height / max(width, 1.0) > rec["strip_ratio"]:  # a long narrow strip: a till receipt
        receipt_score += rec["strip"]
    return invoice_score, receipt_score, first_invoice


def document_type_field(layout: PageLayout, found: dict[str, ExtractedField], index: Optional[LabelIndex] = None) -> ExtractedField:
    invoice_score, receipt_score, first_invoice = document_type_scores(layout, found, index)
    value = "invoice" if invoice_score > receipt_score else "receipt"
    margin = abs(invoice_score - receipt_score)
    seg = first_invoice if value == "invoice" and first_invoice else layout.segs[0]
    return Candidate(value, seg.text.strip(), seg).as_field(0.5 + 0.15 * min(margin, 3.0))
