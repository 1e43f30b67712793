"""Fields read from marks anywhere on the page: currency (symbols and codes), payment method and
document type (keywords, titles, the page's shape)."""

from __future__ import annotations

from typing import Optional

from extraction.extractors.layout.header_lines import is_title
from extraction.extractors.layout.labels import Candidate, classify
from extraction.extractors.layout.rows import PageLayout, Seg
from extraction.normalize.currency import currency_mentions, detect_currency
from extraction.normalize.fields import normalize_document_type, normalize_payment_method
from extraction.schema import ExtractedField


def currency_field(layout: PageLayout) -> Optional[ExtractedField]:
    mentions: dict[str, list[Seg]] = {}
    for seg in layout.segs:
        for code, _, _ in currency_mentions(seg.text):
            mentions.setdefault(code, []).append(seg)
    if not mentions:
        return None
    code = detect_currency("\n".join(s.text for s in layout.segs))
    if code is None or code not in mentions:
        return None
    seg = mentions[code][0]
    count = len(mentions[code])
    return Candidate(code, seg.text.strip(), seg).as_field(0.6 + 0.1 * min(count, 3) - (0.15 if code == "USD" else 0))


def payment_field(layout: PageLayout) -> Optional[ExtractedField]:
    for seg in reversed(layout.segs):
        method = normalize_payment_method(seg.text)
        if method:
            return Candidate(method, seg.text.strip(), seg).as_field(0.6)
    return None


def document_type_field(layout: PageLayout, found: dict[str, ExtractedField]) -> ExtractedField:
    invoice_score, receipt_score = 0.0, 0.0
    first_invoice: Optional[Seg] = None
    for seg in layout.segs:
        kind = normalize_document_type(seg.text)
        if kind == "invoice":
            invoice_score += 1.0 if is_title(seg) else 0.4
            first_invoice = first_invoice or seg
        elif kind == "receipt":
            receipt_score += 1.0 if is_title(seg) else 0.3
    if "due_date" in found:
        invoice_score += 1.0
    if "payment_method" in found or any(classify(s)[0] in ("paid", "change") for s in layout.segs):
        receipt_score += 0.8
    page = layout.segs[0].page
    width = layout.page_width.get(page, 1.0)
    height = layout.page_height.get(page, 1.0)
    if height / max(width, 1.0) > 1.6:  # a long narrow strip: a till receipt
        receipt_score += 0.8
    value = "invoice" if invoice_score > receipt_score else "receipt"
    margin = abs(invoice_score - receipt_score)
    seg = first_invoice if value == "invoice" and first_invoice else layout.segs[0]
    return Candidate(value, seg.text.strip(), seg).as_field(0.5 + 0.15 * min(margin, 3.0))
