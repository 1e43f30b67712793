"""The CPU extractor: layout-aware rules over OCR lines, no model weights needed.

How it decides, field by field:
- amounts: a lexicon keyword on a row (many languages, see ``rules/lexicon.json``) and a
  money-looking number to its right on the same row or just below; among candidates the one
  that makes the arithmetic agree (subtotal + tax = total, cash - change = total) wins;
- dates: every date on the page, preferring one next to a date keyword; day-first vs
  month-first comes from evidence on the page (an unambiguous date, the currency);
- vendor: the strongest header block (large type, company suffix, near the top) that is not
  an address, phone or tax-id line; address: the lines between it and the first
  transactional line, kept when they carry street/postcode cues (:mod:`extraction.extractors.layout.header`);
- line items: a table under a header row (description / qty / price / amount), see
  :mod:`extraction.extractors.layout.tables`.
Confidence grows with evidence (keyword, position, arithmetic agreement), so it can rank results.
"""

from __future__ import annotations

import re
import time
from datetime import date
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Optional, Sequence

from extraction.errors import DocumentError, ErrorCode
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.layout import union_bbox
from extraction.extractors.layout.calibration import calibrate, load_curves
from extraction.normalize.currency import currency_mentions, detect_currency
from extraction.normalize.dates import ParsedDate, find_dates, infer_date_order, infer_year_first, year_first_votes
from extraction.extractors.layout.header import (
    drop_unpaired_quote,
    find_address,
    find_address_above,
    find_sender_address,
    find_vendor,
    header_row_indexes,
    is_title,
    repair_misread_commas,
)
from extraction.extractors.layout.labels import AMOUNT_CLASSES, Candidate, classify, money_in
from extraction.extractors.layout.lexicon import find_keyword, fold, has_keyword, phrases
from extraction.normalize.fields import normalize_document_type, normalize_payment_method
from extraction.normalize.numbers import AmountMatch, format_amount
from extraction.extractors.layout.rows import PageLayout, Seg, build_layout, labels_above, span_bbox, words_below
from extraction.extractors.layout.spelling import correct_text, words_on_several_lines
from extraction.extractors.layout.tables import extract_line_items
from extraction.normalize.times import find_times
from extraction.schema import ExtractedField, LineItem



def is_available() -> bool:
    """Pure Python and data files: always available."""
    return True


class RulesExtractor:
    name = "rules"

    def __init__(self, calibration: bool = True) -> None:
        started = time.perf_counter()
        phrases("total")  # warm the lexicon caches at load time, not on the first document
        self.curves = load_curves() if calibration else {}
        self.load_seconds = time.perf_counter() - started

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "layout rules",
            "calibrated_fields": sorted(self.curves),
            "load_ms": round(self.load_seconds * 1000, 1),
        }

    def extract(self, requests: Sequence[ExtractionRequest]) -> list[Extraction | DocumentError]:
        results: list[Extraction | DocumentError] = []
        for request in requests:
            try:
                result = extract_document(request)
                for name, found in result.fields.items():
                    if name in self.curves:
                        found.confidence = round(calibrate(name, found.confidence, self.curves), 3)
                results.append(result)
            except DocumentError as error:
                results.append(error)
            except Exception as exc:  # one bad document must not sink the batch
                results.append(DocumentError(ErrorCode.EXTRACTION_FAILED, f"rule extraction failed: {type(exc).__name__}"))
        return results


# --------------------------------------------------------------------------- document


def extract_document(request: ExtractionRequest) -> Extraction:
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
    currency = _currency(layout)
    if currency:
        found["currency"] = currency
    amounts = _amounts(layout)
    found.update(amounts)
    found.update(_dates(layout, request.date_order, currency.value if currency else None, out.warnings))
    found.update(_header_texts(layout))
    found.update(_year_day_month_if_proven(layout, request.date_order, currency.value if currency else None, found))
    vendor = find_vendor(layout)
    if vendor:
        found["vendor_name"] = vendor[0]
        address = find_sender_address(vendor[1]) or find_address(layout, vendor[1]) or find_address_above(layout, vendor[1])
        if address:
            found["vendor_address"] = address
    ocr_pages = {page.number for page in request.text.pages if page.source != "text_layer"}
    confirmed = words_on_several_lines([row.text for row in layout.rows]) if ocr_pages else frozenset()
    for name in ("vendor_name", "vendor_address"):
        if name in found and found[name].page in ocr_pages:
            value = correct_text(str(found[name].value), as_printed=confirmed)
            if name == "vendor_address":
                value = repair_misread_commas(drop_unpaired_quote(value))
            found[name] = found[name].model_copy(update={"value": value})
    time_field = _time(layout, found.get("date"))
    if time_field:
        found["time"] = time_field
    payment = _payment(layout)
    if payment:
        found["payment_method"] = payment
    doc_type = _document_type(layout, found)
    found["document_type"] = doc_type

    infer_subtotal = _may_infer_subtotal(found)
    items = extract_line_items(layout, found) if "line_items" in wanted or infer_subtotal else []
    if "line_items" in wanted:
        out.line_items = items
    if items and infer_subtotal:
        _subtotal_from_items(found, items)
    out.fields = {name: f for name, f in found.items() if name in wanted}
    if "document_type" in wanted:
        out.document_type = doc_type.value
    return out


# --------------------------------------------------------------------------- labels and amounts


def value_for_label(layout: PageLayout, seg: Seg, keyword_end: int) -> Optional[tuple[AmountMatch, Seg, int]]:
    """The amount a label points to: same line after it, same row to the right, or just below.

    Returns (amount, segment holding it, distance: 0 same line, 1 same row, 2 below).
    """
    own = money_in(seg.text, keyword_end)
    region = []  # segments right of the label, up to the next label ("Excl. VAT 10.00 | Total 12.10")
    for other in layout.right_of(seg):
        if classify(other)[0] not in (None, "not_amount"):
            break
        region.append(other)
    for other in reversed(region):
        found = money_in(other.text)
        if found:
            return found[-1], other, 1
    if own:
        return own[-1], seg, 0
    if seg.text.strip()[:1].isdigit():
        return None  # "14 Tage netto" is a phrase, not a column title with its value below
    for other in layout.below(seg):
        if other.bbox[0] < seg.bbox[0] - seg.height and not money_in(other.text):
            continue
        if classify(other)[0] is not None:
            break
        found = money_in(other.text)
        if found and len(other.text.strip()) <= len(found[-1].text.strip()) + 6:
            return found[-1], other, 2
    return None


@dataclass
class AmountLabel:
    cls: str
    keyword: str
    amount: Decimal
    seg: Seg  # the label line
    value_seg: Seg
    distance: int
    text: str


def collect_labels(layout: PageLayout) -> list[AmountLabel]:
    labels: list[AmountLabel] = []
    header_rows = header_row_indexes(layout)
    for seg in layout.segs:
        if seg.row in header_rows:
            continue  # "Sous total" / "Amount" as a column title labels the column, not a total
        cls, m = classify(seg)
        if cls is None or cls in ("not_amount", "vendor_tax_id") or m is None:
            continue
        hit = value_for_label(layout, seg, m.end())
        if hit is None:
            continue
        amount, value_seg, distance = hit
        labels.append(AmountLabel(cls, m.group(0), amount.value, seg, value_seg, distance, amount.text.strip()))
    return labels


_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%")


def _included_tax(label: AmountLabel, page_money: list[Decimal]) -> AmountLabel:
    """A "total" label naming a tax and its rate whose amount is that rate's share of a larger
    amount on the page is the tax included in the total: "(Total Included GST @ 6% : 1.42)" under
    25.15, "GST @6% INCLUDED IN TOTAL 0.51" under 9.00. "TOTAL INCL. GST@6% 9.00" stays a total."""
    if label.cls != "total" or label.amount <= 0 or not has_keyword(label.seg.folded, "tax"):
        return label
    rate = _RATE.search(label.seg.text)
    if rate is None:
        return label
    share = Decimal(rate.group(1).replace(",", ".")) / 100
    if share <= 0 or share >= 1:
        return label
    for gross in page_money:
        if gross > label.amount and abs(gross * share / (1 + share) - label.amount) <= Decimal("0.011"):
            return replace(label, cls="tax")
    return label


def _amount_field(label: AmountLabel, confidence: float) -> ExtractedField:
    return ExtractedField(
        value=format_amount(abs(label.amount)) if label.cls == "discount" else format_amount(label.amount),
        text=label.text,
        confidence=round(max(0.0, min(1.0, confidence)), 3),
        page=label.value_seg.page,
        bbox=[round(float(v), 1) for v in label.value_seg.bbox],
    )


def _amounts(layout: PageLayout) -> dict[str, ExtractedField]:
    labels = collect_labels(layout)
    page_money = [a.value for s in layout.segs for a in money_in(s.text)]
    labels = [_included_tax(label, page_money) for label in labels]
    by_cls: dict[str, list[AmountLabel]] = {c: [] for c in AMOUNT_CLASSES}
    for label in labels:
        by_cls[label.cls].append(label)
    strong = set(phrases("total_strong"))

    subtotals = by_cls["subtotal"]
    taxes = by_cls["tax"]
    paid = [l.amount for l in by_cls["paid"]]
    change = [l.amount for l in by_cls["change"]]
    rounding = [l.amount for l in by_cls["rounding"]]
    discounts = [abs(l.amount) for l in by_cls["discount"]]

    weak = {"amount", "payable", "total amount", "due"}
    # values the arithmetic of the page vouches for: cash - change, subtotal + tax, total + rounding
    vouched: set[Decimal] = set()
    for p in paid:
        for c in change:
            if p >= c >= 0:
                vouched.add(p - c)
    for sub in subtotals:
        for t in taxes:
            vouched.add(sub.amount + t.amount)
    rounded: set[Decimal] = set()  # a total plus a printed rounding adjustment: the final amount
    for label in by_cls["total"]:
        for r in rounding:
            if r != 0 and abs(r) < 1:
                vouched.add(label.amount + r)
                rounded.add(label.amount + r)
    money_segs = {}
    for seg in layout.segs:
        if classify(seg)[0] in ("paid", "change", "vendor_tax_id", "not_amount", "tax", "discount", "rounding"):
            continue
        for a in money_in(seg.text):
            money_segs.setdefault(a.value, (seg, a))

    candidates: list[tuple[Decimal, float, Optional[AmountLabel], Optional[tuple[Seg, AmountMatch]]]] = []
    for label in by_cls["total"]:
        score = 1.0
        if label.keyword in strong or any(label.keyword.startswith(s) for s in strong):
            score += 0.6
        if label.keyword in weak:
            score -= 0.4
        score -= 0.15 * label.distance
        if label.amount <= 0:
            score -= 2
        candidates.append((label.amount, score, label, None))
    # a vouched value printed on the page without a usable label ("TO : RM 73.00", "RM 60.30")
    labelled = {c[0] for c in candidates}
    for value in vouched:
        if value > 0 and value not in labelled and value in money_segs:
            candidates.append((value, 0.7, None, money_segs[value]))
    if not candidates and subtotals:
        for sub in subtotals:
            candidates.append((sub.amount, 0.5, sub, None))

    values = [c[0] for c in candidates]

    def total_score(cand: tuple[Decimal, float, Optional[AmountLabel], Optional[tuple[Seg, AmountMatch]]]) -> float:
        value, score, label, _ = cand
        score += 0.1 * min(page_money.count(value), 4)
        if any(abs(v - value) <= Decimal("0.005") for v in vouched):
            score += 0.7
        if label is not None and value in rounded and value % Decimal("0.05") == 0:
            score += 0.6  # "TOTAL SALES 88.97 / ROUNDING -0.02 / TOTAL AFTER ADJ 88.95": the rounded one is paid
        if any(p == value for p in paid):
            score += 0.2
        if subtotals and all(value < s.amount for s in subtotals):
            score -= 0.5
        if value == max(values):
            score += 0.3
        if label is not None:  # later totals on a receipt are usually the final (rounded) ones
            score += 0.2 * (label.seg.index / max(len(layout.segs), 1))
        return score

    result: dict[str, ExtractedField] = {}
    if candidates:
        best = max(candidates, key=total_score)
        conf = min(0.5 + 0.12 * min(total_score(best), 3.5), 0.97)
        if best[2] is not None:
            result["total"] = _amount_field(best[2], conf)
        else:
            seg, match = best[3]  # type: ignore[misc]
            result["total"] = ExtractedField(
                value=format_amount(best[0]), text=match.text.strip(), confidence=round(conf - 0.1, 3),
                page=seg.page, bbox=[round(float(v), 1) for v in span_bbox(seg, match.start, match.end)],
            )
    else:
        fallback = _fallback_total(layout, by_cls)
        if fallback is not None:
            result["total"] = fallback
    total_value = Decimal(result["total"].value) if "total" in result else None

    if subtotals:
        def sub_score(label: AmountLabel) -> float:
            score = 1.0 - 0.15 * label.distance
            if total_value is not None:
                if label.amount > total_value:
                    score -= 1.0
                if any(abs(label.amount + t.amount - total_value) <= Decimal("0.05") for t in taxes):
                    score += 0.8
                if label.amount == total_value and not taxes:
                    score += 0.2
            return score

        best = max(subtotals, key=sub_score)
        if total_value is None or best.amount <= total_value:
            result["subtotal"] = _amount_field(best, 0.55 + 0.15 * sub_score(best))
    subtotal_value = Decimal(result["subtotal"].value) if "subtotal" in result else None

    if taxes:
        def tax_score(label: AmountLabel) -> float:
            score = 1.0 - 0.15 * label.distance
            if total_value is not None and label.amount >= total_value:
                score -= 1.0
            if subtotal_value is not None and total_value is not None:
                rest = total_value - subtotal_value
                if abs(rest - label.amount) <= Decimal("0.05"):
                    score += 0.8
            return score

        best = max(taxes, key=tax_score)
        if best.amount >= 0 and (total_value is None or best.amount < total_value):
            result["tax"] = _amount_field(best, 0.5 + 0.15 * tax_score(best))
        split = _split_taxes(taxes, subtotal_value, total_value)
        if split is not None:
            result["tax"] = split
    header_rows = header_row_indexes(layout)
    present = {classify(seg)[0] for seg in layout.segs if seg.row not in header_rows}
    _derive_missing(result, by_cls, present)
    for cls in ("tip", "discount"):
        if by_cls[cls]:
            best = by_cls[cls][0]
            result[cls] = _amount_field(best, 0.6 - 0.1 * best.distance)
    _ = rounding, discounts
    return result


def _split_taxes(taxes: list[AmountLabel], subtotal: Optional[Decimal], total: Optional[Decimal]) -> Optional[ExtractedField]:
    """Taxes printed on several rows (CGST + SGST, two VAT rates) that together are the difference
    between total and subtotal: the tax is their sum. One row alone that fits is left to the caller."""
    if subtotal is None or total is None:
        return None
    rows: dict[int, AmountLabel] = {}
    for label in taxes:
        if label.amount > 0:
            rows.setdefault(label.seg.row, label)
    parts = list(rows.values())
    if len(parts) < 2 or any(abs(p.amount - (total - subtotal)) <= Decimal("0.01") for p in parts):
        return None
    if abs(sum(p.amount for p in parts) + subtotal - total) > Decimal("0.01"):
        return None
    first = parts[0]
    return ExtractedField(
        value=format_amount(sum(p.amount for p in parts)),
        text=" + ".join(p.text for p in parts),
        confidence=0.85,
        page=first.value_seg.page,
        bbox=[round(float(v), 1) for v in union_bbox([p.value_seg.bbox for p in parts])],
    )


def _derive_missing(result: dict[str, ExtractedField], by_cls: dict[str, list[AmountLabel]], present: set) -> None:
    """Fill a subtotal or tax whose label is printed but whose value is unreadable, from the other two.

    Only when the label exists (the document does state the amount) and the two known values
    are themselves found; the derived field gets low confidence and the label as its text.
    """
    def dec(name: str) -> Optional[Decimal]:
        return Decimal(result[name].value) if name in result else None

    total, subtotal, tax = dec("total"), dec("subtotal"), dec("tax")
    if total is None:
        return
    if subtotal is None and tax == 0 and "tax" in result:
        # a printed zero tax: the amount before tax is the total (subtotal + 0 = total)
        result["subtotal"] = ExtractedField(
            value=result["total"].value, text=result["total"].text, confidence=0.45,
            page=result["total"].page, bbox=result["total"].bbox,
        )
        return
    consistent = subtotal is not None and tax is not None and abs(subtotal + tax - total) <= Decimal("0.05")
    if consistent:
        return
    if tax is not None and tax > 0 and (subtotal is None or subtotal == total) and "subtotal" in present:
        label = by_cls["subtotal"][0] if by_cls["subtotal"] else None
        result["subtotal"] = _derived_field(total - tax, label)
    elif subtotal is not None and subtotal < total and tax is None and "tax" in present:
        label = by_cls["tax"][0] if by_cls["tax"] else None
        result["tax"] = _derived_field(total - subtotal, label)


def _may_infer_subtotal(found: dict[str, ExtractedField]) -> bool:
    """A total and nothing between it and the items (no subtotal, tax, discount or tip found)."""
    return "total" in found and not any(name in found for name in ("subtotal", "tax", "discount", "tip"))


def _subtotal_from_items(found: dict[str, ExtractedField], items: Sequence[LineItem]) -> None:
    """Subtotal = total when the line amounts add up to the total and no tax is charged.

    Why: invoices without tax often print only "Total"; the amount before tax is then the
    total, and the line items summing to it is the arithmetic evidence (not a guess).
    """
    amounts = [Decimal(item.amount) for item in items if item.amount]
    if len(amounts) < 1 or len(amounts) != len(items):
        return
    total = found["total"]
    if abs(sum(amounts) - Decimal(total.value)) > Decimal("0.01"):
        return
    found["subtotal"] = ExtractedField(
        value=total.value, text=total.text, confidence=round(min(0.8, total.confidence), 3),
        page=total.page, bbox=total.bbox,
    )


def _derived_field(value: Decimal, label: Optional[AmountLabel]) -> ExtractedField:
    return ExtractedField(
        value=format_amount(value),
        text=label.text if label else "",
        confidence=0.45,
        page=label.value_seg.page if label else None,
        bbox=[round(float(v), 1) for v in label.value_seg.bbox] if label else None,
    )


def _fallback_total(layout: PageLayout, by_cls: dict[str, list[AmountLabel]]) -> Optional[ExtractedField]:
    """No total label: the largest money amount that is not cash tendered or change."""
    excluded = {id(l.value_seg) for c in ("paid", "change") for l in by_cls[c]}
    best: tuple[Decimal, Seg, AmountMatch] | None = None
    for seg in layout.segs:
        if id(seg) in excluded or classify(seg)[0] in ("paid", "change", "not_amount", "vendor_tax_id"):
            continue
        for a in money_in(seg.text):
            if a.value > 0 and (best is None or a.value > best[0]):
                best = (a.value, seg, a)
    if best is None:
        return None
    return ExtractedField(
        value=format_amount(best[0]), text=best[2].text.strip(), confidence=0.3, page=best[1].page,
        bbox=[round(float(v), 1) for v in best[1].bbox],
    )


# --------------------------------------------------------------------------- dates, time, currency


def _currency(layout: PageLayout) -> Optional[ExtractedField]:
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
    return Candidate(code, seg.text.strip(), seg, 0).as_field(0.6 + 0.1 * min(count, 3) - (0.15 if code == "USD" else 0))


def _dates(
    layout: PageLayout, date_order: str, currency: Optional[str], warnings: list[str], year_first: Optional[str] = None
) -> dict[str, ExtractedField]:
    texts = [s.text for s in layout.segs]
    order = date_order if date_order in ("DMY", "MDY") else None
    reason = "requested"
    if order is None:
        order, reason = infer_date_order(texts, currency)
    year_first = year_first or infer_year_first(texts)
    found: list[tuple[ParsedDate, Seg, Optional[str]]] = []
    for seg in layout.segs:
        for parsed in find_dates(seg.text, order or "auto", year_first=year_first):
            found.append((parsed, seg, _date_label(layout, seg, parsed)))
    if not found:
        fallback = _fallback_date(layout)
        return {"date": fallback} if fallback is not None else {}
    result: dict[str, ExtractedField] = {}

    def score(item: tuple[ParsedDate, Seg, Optional[str]], want: str) -> float:
        parsed, seg, label = item
        s = 1.0 if label == want else (0.0 if label is None else -1.0)
        s -= 0.2 * seg.index / max(len(layout.segs), 1)
        if find_times(layout.row_of(seg).text):
            s += 0.3  # printed with a time of day: the transaction date
        if label is None and (find_keyword(seg.folded, "invoice_number") or find_keyword(seg.folded, "po_number")):
            s -= 0.6  # a date-like piece of a reference number
        if parsed.value.year < 2000:
            s -= 0.5
        if label is not None:
            s += _date_phrase_bonus(layout, seg, parsed)
        return s

    issued = max(found, key=lambda item: score(item, "date"))
    if issued[2] != "due_date":
        result["date"] = _date_field(issued, 0.9 if issued[2] == "date" else 0.7, order, reason, warnings)
    dues = [item for item in found if item[2] == "due_date"]
    if dues:
        due = dues[0]
        result["due_date"] = _date_field(due, 0.85, order, reason, warnings)
    return result


_YEAR_FIRST_TEXT = re.compile(r"(?<!\d)(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)")
_YEAR_MONTH_IN_ID = (
    re.compile(r"(?<!\d)(?P<y>20\d\d)[/-](?P<m>0[1-9]|1[0-2])(?!\d)"),  # INV/2017/04/0008
    re.compile(r"(?<!\d)(?P<m>0[1-9]|1[0-2])[/-](?P<y>20\d\d)(?!\d)"),  # FA04/2017/0057
    re.compile(r"(?<!\d)(?P<y>20\d\d)(?P<m>0[1-9]|1[0-2])(?=\d{2,5}(?!\d))"),  # FACTU2017040057
)


def _year_day_month_if_proven(
    layout: PageLayout, date_order: str, currency: Optional[str], found: dict[str, ExtractedField]
) -> dict[str, ExtractedField]:
    """Year-first dates that no single date decides ("2017-11-04"): read them year-day-month
    when only that reading agrees with the rest of the page.

    Why: some layouts print year-day-month. Two signals prove it without a day above 12: the
    due date falls before the issue date only in the year-month-day reading, or the invoice
    number carries the issue year and month ("FA04/2017/...", "INV/2017/04/...") of only the
    year-day-month reading.
    """
    issued = found.get("date")
    if issued is None or not _YEAR_FIRST_TEXT.search(issued.text or ""):
        return {}
    if any(year_first_votes([s.text for s in layout.segs])):
        return {}  # a date on the page already decides
    alternative = _dates(layout, date_order, currency, [], year_first="YDM")
    if "date" not in alternative or alternative["date"].value == issued.value:
        return {}

    def consistent(fields: dict[str, ExtractedField]) -> Optional[bool]:
        if "date" not in fields or "due_date" not in fields:
            return None
        start, due = date.fromisoformat(str(fields["date"].value)), date.fromisoformat(str(fields["due_date"].value))
        return 0 <= (due - start).days <= 366

    now, then = consistent(found), consistent(alternative)
    if now is False and then is True:
        return alternative
    if now is not False and then is not False:
        number = found.get("invoice_number")
        months = _year_months(str(number.value)) if number is not None else set()
        as_printed = date.fromisoformat(str(issued.value))
        swapped = date.fromisoformat(str(alternative["date"].value))
        if (swapped.year, swapped.month) in months and (as_printed.year, as_printed.month) not in months:
            return alternative
    return {}


def _year_months(identifier: str) -> set[tuple[int, int]]:
    """(year, month) pairs written in a document number: "FA04/2017/0057", "INV/2017/04/0008"."""
    return {(int(m["y"]), int(m["m"])) for pattern in _YEAR_MONTH_IN_ID for m in pattern.finditer(identifier)}


_GLUED_DATE = re.compile(r"(?<=\d)(?P<d>[0-3]\d)[/.-](?P<m>[01]\d)[/.-](?P<y>20\d\d)(?!\d)")
_DATE_AFTER_TIME = re.compile(r"(?<![\d:])[0-2]?\d:[0-5]\d(?P<d>[0-3]?\d)/(?P<m>[01]?\d)/(?P<y>(?:20)?\d\d)(?![\d/])")  # "18:1524/05/18"
_COMPACT_DATE = re.compile(r"(?<![\d\w-])(?P<d>[0-3]\d)(?P<m>[01]\d)(?P<y>20\d\d)(?![\d\w-])")


def _fallback_date(layout: PageLayout) -> Optional[ExtractedField]:
    """No regular date anywhere: a day-first date glued to other digits ("#195360 01/06/2018" read
    as one token) or written without separators ("27032018"). Low confidence by design."""
    for pattern, confidence in ((_GLUED_DATE, 0.45), (_DATE_AFTER_TIME, 0.45), (_COMPACT_DATE, 0.35)):
        for seg in layout.segs:
            for m in pattern.finditer(seg.text):
                year = int(m.group("y"))
                try:
                    value = date(year + 2000 if year < 100 else year, int(m.group("m")), int(m.group("d")))
                except ValueError:
                    continue
                box = span_bbox(seg, m.start(), m.end())
                return Candidate(value.isoformat(), m.group(0), seg, 0, bbox=box).as_field(confidence)
    return None


def _date_kind(text: str) -> Optional[tuple[int, str, str]]:
    """The date keyword in ``text`` nearest its end: (end position, 'date' | 'due_date', phrase)."""
    due = find_keyword(text, "due_date")
    issued = find_keyword(text, "date")
    hits = []
    if due:
        hits.append((due.end(), len(due.group(0)), "due_date", due.group(0)))
    if issued:
        hits.append((issued.end(), len(issued.group(0)), "date", issued.group(0)))
    if not hits:
        return None
    end, _, kind, phrase = max(hits)
    return end, kind, phrase


_ISSUE_WORDS = re.compile(r"invoice|factur|rechnung|fattura|factuur|fatura|issue|emission|bill|receipt|tarikh")
_OTHER_DATE_WORDS = re.compile(r"order|commande|bestell|pedido|ordine|check|delivery|livraison|liefer|ship|period|print")


def _date_label(layout: PageLayout, seg: Seg, parsed: ParsedDate) -> Optional[str]:
    """'date' / 'due_date' when a keyword sits before the date on its line, to its left, or just above it."""
    found = _date_keyword(layout, seg, parsed)
    return found[1] if found else None


def _date_keyword(layout: PageLayout, seg: Seg, parsed: ParsedDate) -> Optional[tuple[int, str, str]]:
    before = _date_kind(fold(seg.text[: parsed.start]))
    if before:
        return before
    row = layout.row_of(seg)
    left = [s for s in row.segs if s.bbox[2] <= seg.bbox[0] + 2]
    for other in reversed(left):
        kind = _date_kind(other.folded)
        if kind:
            return kind
    box = span_bbox(seg, parsed.start, parsed.end)
    for other in labels_above(layout, seg, box):
        kind = _date_kind(other.folded)
        if kind:
            return kind
    return None


def _date_phrase_bonus(layout: PageLayout, seg: Seg, parsed: ParsedDate) -> float:
    """"Invoice date" outranks "Order date" / "Check in" when a page prints several dates."""
    found = _date_keyword(layout, seg, parsed)
    if found is None:
        return 0.0
    phrase = found[2]
    if _ISSUE_WORDS.search(phrase):
        return 0.3
    if _OTHER_DATE_WORDS.search(phrase):
        return -0.3
    return 0.0


def _date_field(item: tuple[ParsedDate, Seg, Optional[str]], confidence: float, order: Optional[str], reason: str, warnings: list[str]) -> ExtractedField:
    parsed, seg, _ = item
    if parsed.ambiguous:
        confidence -= 0.25
        warnings.append(
            f"date '{parsed.text.strip()}' could be day-first or month-first and nothing on the page decides;"
            f" read as {parsed.value.isoformat()} (day-first). Set options.date_order to be sure."
        )
    return Candidate(parsed.value.isoformat(), parsed.text.strip(), seg, 0).as_field(confidence)


def _time(layout: PageLayout, date_field: Optional[ExtractedField]) -> Optional[ExtractedField]:
    best: tuple[float, Seg, Any] | None = None
    for seg in layout.segs:
        for t in find_times(seg.text):
            s = 1.0
            if has_keyword(seg.folded, "time"):
                s += 0.5
            if date_field is not None and date_field.page == seg.page and date_field.bbox and abs(date_field.bbox[1] - seg.bbox[1]) < 2 * seg.height:
                s += 0.5
            if best is None or s > best[0]:
                best = (s, seg, t)
    if best is None:
        return None
    return Candidate(best[2].value, best[2].text.strip(), best[1], 0).as_field(0.5 + 0.2 * best[0])


# --------------------------------------------------------------------------- identifiers

_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]*\d[A-Za-z0-9/_.\-]*|\d[A-Za-z0-9/_.\-]*")


_PREFIXED_TAX_ID = re.compile(r"[A-Z]{2} \d{2,}(?: \d{2,5})*(?![\d.,:/-])")
_DIGIT_GROUPS = re.compile(r"(?: \d{2,5})+(?![\d.,:/-])")


_ID_PREFIX = re.compile(r"(?:\s*(?:n[o°º]\.?|nr\.?|number|num[eé]ro|#|:|\.|-|–))*\s*", re.IGNORECASE)
#: one word qualifying the label before its colon: "Factura simplificada: T-0123", "Invoice (copy): 42"
_QUALIFIER = re.compile(r"\s*\(?([^\W\d_]{3,15})\)?\s*(?=[:#]|n[o°º]\b)", re.IGNORECASE)
_OTHER_LABELS = ("date", "due_date", "total", "subtotal", "tax", "po_number", "other_number", "vendor_tax_id", "time", "paid", "change")


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
    header_rows = header_row_indexes(layout)
    for seg in layout.segs:
        if seg.row in header_rows:
            continue  # a table's column titles ("Référence") name columns, not header fields
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
            cand = Candidate(value, value, where, score, bbox=box)
            if best is None or score > best[0]:
                best = (score, cand)
            break
    if best is None:
        return None
    return best[1].as_field(0.35 + 0.3 * best[0])


def _header_texts(layout: PageLayout) -> dict[str, ExtractedField]:
    result: dict[str, ExtractedField] = {}
    number = _find_identifier(layout, "invoice_number", exclude=("po_number", "vendor_tax_id", "date"))
    if number:
        result["invoice_number"] = number
    po = _find_identifier(layout, "po_number", exclude=("invoice_number",))
    if po and (number is None or po.value != number.value):
        result["po_number"] = po
    tax_id = _find_identifier(layout, "vendor_tax_id")
    if tax_id:
        result["vendor_tax_id"] = tax_id
    return result


# --------------------------------------------------------------------------- payment and type


def _payment(layout: PageLayout) -> Optional[ExtractedField]:
    for seg in reversed(layout.segs):
        method = normalize_payment_method(seg.text)
        if method:
            return Candidate(method, seg.text.strip(), seg, 0).as_field(0.6)
    return None


def _document_type(layout: PageLayout, found: dict[str, ExtractedField]) -> ExtractedField:
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
    return Candidate(value, seg.text.strip(), seg, 0).as_field(0.5 + 0.15 * min(margin, 3.0))
