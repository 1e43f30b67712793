"""The CPU extractor: layout-aware rules over OCR lines, no model weights needed.

How it decides, field by field (one module each):
- amounts (:mod:`.amounts`): a lexicon keyword on a row (many languages, see
  ``data/lexicon.json``) and a money-looking number to its right on the same row or just
  below; among candidates the one that makes the arithmetic agree (subtotal + tax = total,
  cash - change = total) wins;
- dates (:mod:`.dates`): every date on the page, preferring one next to a date keyword;
  day-first vs month-first comes from evidence on the page (an unambiguous date, the currency);
- identifiers (:mod:`.identifiers`): the token after an invoice / PO / tax-id label;
- vendor (:mod:`.vendor`): the strongest header row (large type, company suffix, near the top)
  that is not an address, phone or tax-id line; address (:mod:`.address`): the lines between
  it and the first transactional line, kept when they carry street/postcode cues;
- line items (:mod:`.tables`): a table under a header row (description / qty / price / amount);
- currency, payment method, document type (:mod:`.marks`).
Confidence grows with evidence (keyword, position, arithmetic agreement), so it can rank results.
"""

from __future__ import annotations

import time
from typing import Any, Optional, Sequence

from extraction.errors import DocumentError, ErrorCode
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.extractors.layout.address import drop_unpaired_quote, find_address, find_address_above, find_sender_address, repair_misread_commas
from extraction.extractors.layout.amounts import amount_fields, may_infer_subtotal, subtotal_from_items
from extraction.extractors.layout.amounts_receipt import settle_paid_total
from extraction.extractors.layout.candidates import LabelIndex
from extraction.extractors.layout.commission import gross_total
from extraction.extractors.layout.calibration import calibrate, load_curves
from extraction.extractors.layout.header_fields import learned_anchor
from extraction.extractors.layout.header_model import HeaderModel, load_model
from extraction.extractors.layout.dates import date_fields, time_field, year_day_month_if_proven
from extraction.extractors.layout.identifiers import identifier_fields
from extraction.extractors.layout.lexicon import phrases
from extraction.extractors.layout.document_type import document_type_field
from extraction.extractors.layout.marks import currency_field, payment_field
from extraction.extractors.layout.ranker import Ranker, load_ranker
from extraction.extractors.layout.rows import build_layout
from extraction.extractors.layout.spelling import correct_text, prints_accents, words_on_several_lines
from extraction.extractors.layout.tables import extract_line_items
from extraction.extractors.layout.vendor import find_vendor
from extraction.schema import ExtractedField
from extraction.settings import load_settings
from extraction.settings.header_model import HeaderModelSettings


def is_available() -> bool:
    """Pure Python and data files: always available."""
    return True


class RulesExtractor:
    name = "rules"

    def __init__(
        self, calibration: bool = True, header_model: Optional[HeaderModelSettings] = None, ranker: bool = True
    ) -> None:
        started = time.perf_counter()
        phrases("total")  # warm the lexicon caches at load time, not on the first document
        self.curves = load_curves() if calibration else {}
        settings = header_model or load_settings(HeaderModelSettings)
        self.header_model = load_model(settings.path) if settings.mode == "anchor" else None
        self.ranker = load_ranker() if ranker else None
        self.load_seconds = time.perf_counter() - started

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "layout rules",
            "calibrated_fields": sorted(self.curves),
            "header_model": self.header_model is not None,
            "ranker": self.ranker.describe() if self.ranker is not None else None,
            "load_ms": round(self.load_seconds * 1000, 1),
        }

    def extract(self, requests: Sequence[ExtractionRequest]) -> list[Extraction | DocumentError]:
        results: list[Extraction | DocumentError] = []
        for request in requests:
            try:
                result = extract_document(request, self.header_model, self.ranker)
                for name, found in result.fields.items():
                    if name in self.curves:
                        found.confidence = round(calibrate(name, found.confidence, self.curves), 3)
                results.append(result)
            except DocumentError as error:
                results.append(error)
            except Exception as exc:  # one bad document must not sink the batch
                results.append(DocumentError(ErrorCode.EXTRACTION_FAILED, f"rule extraction failed: {type(exc).__name__}"))
        return results


def extract_document(
    request: ExtractionRequest, header_model: Optional[HeaderModel] = None, ranker: Optional[Ranker] = None
) -> Extraction:
    layout = build_layout(request.text)
    wanted = set(request.fields)
    out = Extraction()
    if request.queries:
        out.warnings.append(
            "custom queries are answered only by the TILT extractor; the rules extractor returns them as null"
        )
        out.custom = {name: None for name in request.queries}
    if not layout.segs:
        out.warnings.append("no text found on the document")
        return out

    found: dict[str, ExtractedField] = {}
    currency = currency_field(layout)
    if currency:
        found["currency"] = currency
    amounts = settle_paid_total(layout, amount_fields(layout))  # a receipt's cash arithmetic decides the paid amount
    found.update(amounts)
    found.update(date_fields(layout, request.date_order, currency.value if currency else None, out.warnings))
    found.update(identifier_fields(layout))
    found.update(year_day_month_if_proven(layout, request.date_order, currency.value if currency else None, found))
    ocr_pages = {page.number for page in request.text.pages if page.source != "text_layer"}
    # receipts and scans only: the classifier learnt OCR lines; a text layer keeps the rules
    anchor = learned_anchor(layout, header_model) if layout.rows[0].page in ocr_pages else None
    vendor = find_vendor(layout, anchor)
    if vendor:
        found["vendor_name"] = vendor[0]
        address = find_sender_address(vendor[1]) or find_address(layout, vendor[1]) or find_address_above(layout, vendor[1])
        if address:
            found["vendor_address"] = address
    confirmed = words_on_several_lines([row.text for row in layout.rows]) if ocr_pages else frozenset()
    fold_accents = bool(ocr_pages) and not prints_accents([row.text for row in layout.rows])
    for name in ("vendor_name", "vendor_address"):
        if name in found and found[name].page in ocr_pages:
            value = correct_text(str(found[name].value), as_printed=confirmed, fold_accents=fold_accents)
            if name == "vendor_address":
                value = repair_misread_commas(drop_unpaired_quote(value))
            found[name] = found[name].model_copy(update={"value": value})
    clock = time_field(layout, found.get("date"))
    if clock:
        found["time"] = clock
    payment = payment_field(layout)
    if payment:
        found["payment_method"] = payment
    index = LabelIndex(layout)  # vocabulary labels matched once, for the document type and the ranker
    doc_type = document_type_field(layout, found, index)
    found["document_type"] = doc_type
    if ranker is not None:  # the learned ranker picks among the printed values; the rules stay the fallback
        ranker.choose(layout, found, index)
    gross_total(layout, found)  # gross - commission = net printed: the total is the gross

    infer_subtotal = may_infer_subtotal(found)
    items = extract_line_items(layout, found) if "line_items" in wanted or infer_subtotal else []
    if "line_items" in wanted:
        out.line_items = items
    if items and infer_subtotal:
        subtotal_from_items(found, items)
    out.fields = {name: f for name, f in found.items() if name in wanted}
    if "document_type" in wanted:
        out.document_type = doc_type.value
    return out
