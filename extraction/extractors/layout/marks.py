"""Fields read from marks anywhere on the page: currency (symbols and codes) and payment method
(the document type is weighed in :mod:`.document_type`)."""

from __future__ import annotations

from typing import Optional

from extraction.extractors.layout.labels import Candidate
from extraction.extractors.layout.rows import PageLayout, Seg
from extraction.normalize.currency import currency_mentions, detect_currency
from extraction.normalize.fields import normalize_payment_method
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
