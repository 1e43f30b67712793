"""Identifiers: invoice number, PO number, the vendor's tax id.

The token after the label (a qualifying word may sit between: "Factura simplificada: T-0123"),
to its right on the row, or under it in a key/value column block; tax ids printed in digit
groups or with a country prefix are read whole ("SIRET 123 456 789 00012", "GB 123 4567 89").
"""

from __future__ import annotations

import re
from typing import Optional

from extraction.extractors.layout.labels import Candidate
from extraction.extractors.layout.lexicon import find_keyword, fold, has_keyword
from extraction.extractors.layout.rows import PageLayout, Seg, span_bbox, words_below
from extraction.normalize.dates import find_dates
from extraction.schema import ExtractedField
from extraction.vocabulary import match_labels


_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]*\d[A-Za-z0-9/_.\-]*|\d[A-Za-z0-9/_.\-]*")

_PREFIXED_TAX_ID = re.compile(r"[A-Z]{2} \d{2,}(?: \d{2,5})*(?![\d.,:/-])")

_DIGIT_GROUPS = re.compile(r"(?: \d{2,5})+(?![\d.,:/-])")

_ID_PREFIX = re.compile(r"(?:\s*(?:n[o°º]\.?|nr\.?|number|num[eé]ro|#|:|\.|-|–))*\s*", re.IGNORECASE)

#: one word qualifying the label before its colon: "Factura simplificada: T-0123", "Invoice (copy): 42"
_QUALIFIER = re.compile(r"\s*\(?([^\W\d_]{3,15})\)?\s*(?=[:#]|n[o°º]\b)", re.IGNORECASE)

_OTHER_LABELS = ("date", "due_date", "total", "subtotal", "tax", "po_number", "other_number", "vendor_tax_id", "time", "paid", "change")


#: A line of more words than this is running text (terms and conditions), not a key and its value.
_PROSE_WORDS = 12


def _is_prose(seg: Seg) -> bool:
    """Why: terms printed under an order ("3.4 Payment ... invoices for ...") name fields in
    sentences; the number next to such a word is a clause number, not the document's number."""
    return len(seg.text.split()) > _PROSE_WORDS


def _id_after(text: str, start: int) -> Optional[re.Match[str]]:
    qualifier = _QUALIFIER.match(text, start)
    if qualifier is not None and not any(has_keyword(fold(qualifier.group(1)), g) for g in _OTHER_LABELS):
        start = qualifier.end()
    m = _ID_PREFIX.match(text, start)
    offset = m.end() if m else start
    token = _ID_TOKEN.match(text, offset)
    if token is None:
        return None
    value = token.group(0).rstrip(".-/")
    if len(value) < 3 and not value.isdigit():
        return None
    if find_dates(value) or not any(ch.isdigit() for ch in value):
        return None
    return token


def _find_identifier(layout: PageLayout, group: str, exclude: tuple[str, ...] = ()) -> Optional[ExtractedField]:
    """An id printed after its label, to its right on the row, or under it (column headers)."""
    best: tuple[float, Candidate] | None = None
    header_rows = layout.table_header_rows
    for seg in layout.segs:
        if seg.row in header_rows:
            continue  # a table's column titles ("Référence") name columns, not header fields
        if _is_prose(seg):
            continue
        m = find_keyword(seg.folded, group)
        if m is None:
            continue
        if any(find_keyword(seg.folded, other) and len(find_keyword(seg.folded, other).group(0)) > len(m.group(0)) for other in exclude):
            continue
        party = find_keyword(seg.folded, "party")
        if party is not None and len(party.group(0)) >= len(m.group(0)):
            continue  # "Facturé à" / "Bill to" introduces the customer, not an invoice number
        other = find_keyword(seg.folded, "other_number")
        if other is not None and len(other.group(0)) >= len(m.group(0)) and group == "invoice_number":
            continue  # an account, phone or customer number
        strength = min(len(m.group(0)), 14) / 14
        places: list[tuple[str, int, Seg, int]] = [(seg.text, m.end(), seg, 0)]
        places += [(s.text, 0, s, 1) for s in layout.right_of(seg)[:1]]
        places += [(other.text[:end], start, other, 2) for other, start, end in words_below(layout, seg)]
        for text, start, where, distance in places:
            token = _id_after(text, start)
            if group == "vendor_tax_id":  # "VAT Reg No: GB 123 4567 89": a country code, then groups
                prefixed = _PREFIXED_TAX_ID.match(text, _ID_PREFIX.match(text, start).end())
                if prefixed is not None and (token is None or prefixed.end() > token.end()):
                    token = prefixed
            if token is None:
                continue
            value, end = token.group(0).rstrip(".-/"), token.end()
            groups = _DIGIT_GROUPS.match(text, end) if group == "vendor_tax_id" and value.isdigit() else None
            if groups is not None:  # "SIRET 123 456 789 00012": one number printed in groups
                value, end = text[token.start() : groups.end()], groups.end()
            score = 1.0 + strength - 0.2 * distance
            box = span_bbox(where, token.start(), end)
            cand = Candidate(value, value, where, bbox=box)
            if best is None or score > best[0]:
                best = (score, cand)
            break
    if best is None:
        return None
    return best[1].as_field(0.35 + 0.3 * best[0])


#: Vocabulary fields whose printed number is the document's own number, most specific first
#: (a receipt's own number, "Nombor resit", "Bon-Nr.", "N° transaction", is its invoice number),
#: each with how often its number is the document's number (the contract before a payment
#: receipt's "Transaction #" stapled to an order; a receipt's own number is rarely anything else).
#: An order or contract confirmation (broadcast orders, sales orders) carries no invoice number;
#: its contract or order number is then the number the document is filed under.
_NUMBER_CONFIDENCE = {"invoice_number": 0.75, "contract_number": 0.65, "receipt_number": 0.7, "po_number": 0.55}
_DOCUMENT_NUMBER_FIELDS = tuple(_NUMBER_CONFIDENCE)


def vocabulary_number(layout: PageLayout) -> Optional[ExtractedField]:
    """The document's number from the multilingual label vocabulary, when the lexicon found none.

    Candidates are the labels of :data:`_DOCUMENT_NUMBER_FIELDS` paired with an id-shaped token on
    the same line after the label, in the next segment of the row, or under the label (a
    key/value grid or "Order / Rev:" above its value). Ranked by field (invoice before contract
    before order), label strength and score, then distance; generic one-word labels ("#", "No.")
    are not enough on their own, and a label led by another word on its line ranks below one that
    opens it.
    """
    header_rows = layout.table_header_rows
    best: tuple[tuple[float, ...], Candidate] | None = None
    for seg in layout.segs:
        if seg.row in header_rows or not any(ch.isalpha() for ch in seg.text) or _is_prose(seg):
            continue
        for m in match_labels(seg.text, fields=_DOCUMENT_NUMBER_FIELDS, min_score=0.9):
            if m.abbreviation and m.strength != "primary":
                continue
            if m.field in ("invoice_number", "receipt_number") and (m.strength != "primary" or len(m.phrase) < 4):
                continue  # "#", "No.", "Reference", "Bon" alone name any number
            rank = _DOCUMENT_NUMBER_FIELDS.index(m.field)
            places: list[tuple[str, int, Seg, int]] = [(seg.text, m.end, seg, 0)]
            places += [(s.text, 0, s, 1) for s in layout.right_of(seg)[:1]]
            places += [(other.text[:end], start, other, 2) for other, start, end in words_below(layout, seg)]
            for text, start, where, distance in places:
                token = _id_after(text, start)
                if token is None:
                    continue
                value = token.group(0).rstrip(".-/")
                if len(re.sub(r"\D", "", value)) < 3:
                    continue
                # a label led by another word on its line ("Alt Order #") names a secondary number
                leads = not any(ch.isalnum() for ch in seg.text[: m.start])
                key = (-rank, float(leads), 1.0 if m.strength == "primary" else 0.5, m.score, -distance, -seg.index)
                if best is None or key > best[0]:
                    best = (key, Candidate(value, value, where, bbox=span_bbox(where, token.start(), token.end())))
                break
    if best is None:
        return None
    field = _DOCUMENT_NUMBER_FIELDS[int(-best[0][0])]
    return best[1].as_field(_NUMBER_CONFIDENCE[field] - 0.05 * -best[0][4])


def identifier_fields(layout: PageLayout) -> dict[str, ExtractedField]:
    result: dict[str, ExtractedField] = {}
    number = _find_identifier(layout, "invoice_number", exclude=("po_number", "vendor_tax_id", "date"))
    po = _find_identifier(layout, "po_number", exclude=("invoice_number",))
    if number is None:
        number = vocabulary_number(layout)
        if number is not None and po is not None and number.value == po.value:
            number = None  # the number under a PO label is the buyer's order: invoice number != PO number
    if number:
        result["invoice_number"] = number
    if po and (number is None or po.value != number.value):
        result["po_number"] = po
    tax_id = _find_identifier(layout, "vendor_tax_id")
    if tax_id:
        result["vendor_tax_id"] = tax_id
    return result
