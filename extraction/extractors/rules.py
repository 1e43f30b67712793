"""The CPU extractor: layout-aware rules over OCR lines, no model weights needed.

How it decides, field by field:
- amounts: a lexicon keyword on a row (many languages, see ``rules/lexicon.json``) and a
  money-looking number to its right on the same row or just below; among candidates the one
  that makes the arithmetic agree (subtotal + tax = total, cash - change = total) wins;
- dates: every date on the page, preferring one next to a date keyword; day-first vs
  month-first comes from evidence on the page (an unambiguous date, the currency);
- vendor: the strongest header block (large type, company suffix, near the top) that is not
  an address, phone or tax-id line; address: the lines between it and the first
  transactional line, kept when they carry street/postcode cues;
- line items: a table under a header row (description / qty / price / amount), see
  :mod:`extraction.rules.tables`.
Confidence grows with evidence (keyword, position, arithmetic agreement), so it can rank results.
"""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import date
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, Optional, Sequence

from extraction.errors import DocumentError, ErrorCode
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.layout import BBox
from extraction.rules.calibration import calibrate, load_curves
from extraction.rules.currency import currency_mentions, detect_currency
from extraction.rules.dates import ParsedDate, find_dates, infer_date_order, infer_year_first, year_first_votes
from extraction.rules.lexicon import find_keyword, fold, has_keyword, phrases
from extraction.rules.normalize import clean_text, normalize_document_type, normalize_payment_method
from extraction.rules.numbers import AmountMatch, find_amounts, format_amount
from extraction.rules.spelling import correct_text, words_on_several_lines
from extraction.rules.rows import PageLayout, Row, Seg, build_layout, labels_above, span_bbox, words_below
from extraction.rules.tables import extract_line_items
from extraction.rules.timeparse import find_times
from extraction.schema import ExtractedField, LineItem

AMOUNT_CLASSES = ("total", "subtotal", "tax", "tip", "discount", "rounding", "change", "paid")
#: Classes a row label can have; on equal keyword length the earlier class wins.
LABEL_CLASSES = ("not_amount", "vendor_tax_id", "change", "subtotal", "rounding", "discount", "tip", "tax", "total", "paid")


def is_available() -> bool:
    """Pure Python and data files: always available."""
    return True


@dataclass
class Candidate:
    value: Any
    text: str
    seg: Seg
    score: float
    bbox: Optional[BBox] = None
    keyword: str = ""

    def as_field(self, confidence: float) -> ExtractedField:
        box = self.bbox or self.seg.bbox
        return ExtractedField(
            value=self.value,
            text=self.text,
            confidence=round(max(0.0, min(1.0, confidence)), 3),
            page=self.seg.page,
            bbox=[round(float(v), 1) for v in box],
        )


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
    vendor = _vendor(layout)
    if vendor:
        found["vendor_name"] = vendor[0]
        address = _address(layout, vendor[1]) or _address_above(layout, vendor[1])
        if address:
            found["vendor_address"] = address
    ocr_pages = {page.number for page in request.text.pages if page.source != "text_layer"}
    confirmed = words_on_several_lines([row.text for row in layout.rows]) if ocr_pages else frozenset()
    for name in ("vendor_name", "vendor_address"):
        if name in found and found[name].page in ocr_pages:
            value = correct_text(str(found[name].value), as_printed=confirmed)
            if name == "vendor_address":
                value = _misread_commas(_drop_unpaired_quote(value))
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


def classify(seg: Seg) -> tuple[Optional[str], Optional[re.Match[str]]]:
    """The label class of a line: the longest lexicon phrase among the amount-ish classes."""
    best: tuple[int, int, str, re.Match[str]] | None = None
    for rank, cls in enumerate(LABEL_CLASSES):
        m = find_keyword(seg.folded, cls)
        if m is None:
            continue
        key = (len(m.group(0)), -rank)
        if best is None or key > best[:2]:
            best = (key[0], key[1], cls, m)
    if best is None:
        return None, None
    return best[2], best[3]


_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥₹]|\b(?:rs\.?|rm|inr|usd|eur|gbp|myr|sgd|chf)\.?)\s?$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"^\s?(?:[€$£]|(?:eur|usd|gbp|chf|inr|myr)\b)", re.IGNORECASE)


def money_in(text: str, start: int = 0) -> list[AmountMatch]:
    """Money-looking amounts in ``text`` after ``start``: decimals printed (or a currency mark
    beside a whole number: "Rs 1939"), not a percentage."""
    result = []
    dates = [(d.start, d.end) for d in find_dates(text)] if any(ch in text for ch in "./-") else []
    for a in find_amounts(text):
        if a.start < start:
            continue
        if any(ds < a.end and a.start < de for ds, de in dates):
            continue  # "21.05.14" is a date, not 21.05
        if not a.has_decimals and not (_CURRENCY_BEFORE.search(text[max(0, a.start - 5) : a.start + (len(a.text) - len(a.text.lstrip()))]) or _CURRENCY_AFTER.match(text[a.end : a.end + 4])):
            continue
        after = text[a.end : a.end + 2].lstrip()
        if after.startswith("%"):
            continue
        result.append(a)
    return result


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
    header_rows = _header_row_indexes(layout)
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
    header_rows = _header_row_indexes(layout)
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
        bbox=[round(float(v), 1) for v in _union([p.value_seg.bbox for p in parts])],
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
    header_rows = _header_row_indexes(layout)
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


# --------------------------------------------------------------------------- vendor and address

#: five digits may follow a comma ("SS21/34,47400 PJ": a thousands group has three digits)
_POSTCODE = re.compile(
    r"(?:(?<![\d.])\d{5}|(?<![\d.,])(?:\d{4}\s?[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|\d{3}\s?\d{3}|\d{2}-\d{3}))(?![\d.,])"
    r"|(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}(?![A-Za-z0-9])"  # UK: "EC2V 8AU", "LS1 4AP"
    r"|(?<![\d-])\d{4}-\d{3}(?![\d-])"  # Portugal: "1100-053"
)
_PHONE = re.compile(r"(?:\+?\d[\d\s\-()]{7,}\d)")
_REG_NO = re.compile(r"^\(?\s*(?:(?:co\.?|company)?\s*(?:reg\.?)?\s*no\.?\s*:?)?\s*[\dA-Z]{4,}-[A-Z0-9]\s*\)?$", re.IGNORECASE)


def _is_stop_line(seg: Any) -> bool:
    """A line that ends the header block: contact, tax id, dates, amounts, document titles."""
    text = seg.folded
    if has_keyword(text, "contact") or has_keyword(text, "vendor_tax_id"):
        return True
    if find_dates(seg.text) or find_times(seg.text):
        return True
    if classify(seg)[0] in ("total", "subtotal", "tax", "paid", "change") and money_in(seg.text):
        return True
    if _is_title(seg):
        return True
    return False


def _is_title(seg: Any) -> bool:
    text = seg.folded.strip(" :.-*")
    compact = text.replace(" ", "")  # "TAXINVOICE": OCR drops spaces in large type
    return compact in _compact_titles() or bool(re.fullmatch(r"(tax)?invoice|receipt|facture|rechnung|factura", compact))


@lru_cache(maxsize=1)
def _compact_titles() -> frozenset[str]:
    return frozenset(p.replace(" ", "") for p in phrases("doc_title"))


#: a street named by a compound word and its house number (German, Dutch, Nordic): "Hauptstraße 12"
_COMPOUND_STREET = re.compile(
    r"(?<![a-z])[a-z]{2,}(?:stra(?:ss|ß)e|str\.|weg|platz|allee|gasse|damm|ufer|straat|laan|plein|gracht|kade|singel|steeg|gade|vej|gatan|gata|vagen)\s*\d+[a-z]?\b"
)
#: a street word that leads the line, then a name and a number ("Via Roma 5", "C/ Mayor 3")
_STREET_FIRST = re.compile(r"\s*(?:via|v\.le|p\.za|c/|avda\.?|av\.)\s+[a-z][a-z' .]+\s\d+[a-z]?\b")


def _address_score(seg: Any) -> float:
    text = seg.text
    score = 0.0
    if _POSTCODE.search(text):
        score += 1.0
    if has_keyword(seg.folded, "address"):
        score += 1.0
    if re.search(r"\d", text) and "," in text:
        score += 0.5
    if re.search(r"\b(no|lot|unit|blk|block)\.?\s*\d", seg.folded) or re.search(r"#\d{1,2}-\d{2,4}\b", text):
        score += 0.7  # "NO. 12", "LOT 5", "#01-01" (a unit number)
    if _COMPOUND_STREET.search(seg.folded) or _STREET_FIRST.match(seg.folded):
        score += 1.0  # "Hauptstraße 12", "Kalverstraat 10", "Via Roma 5"
    if text.rstrip().endswith(","):
        score += 0.4
    return score


_PAREN = re.compile(r"[(\[（][^)\]）]*[)\]）]?")


def _suffix_only(row: Any) -> bool:
    """A row that only continues a company name: "SDN BHD", "CO. (M) SDN BHD", "ENTERPRISE (SETIA"."""
    rest = _PAREN.sub(" ", row.folded)
    for phrase in phrases("company_suffix"):
        rest = re.sub(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", " ", rest)
    rest = re.sub(r"[^a-z0-9]+", " ", rest).strip()
    return not rest


_TRAILING_REG = re.compile(
    r"\s*[(\[（]?\s*(?<![\w-])(?:co\.?\s*(?:reg\.?\s*)?no\.?\s*:?\s*)?[A-Z0-9]*\d{3,}[A-Z0-9]*(?:\s*-\s*[A-Z0-9]{1,4}|\s[A-Z])?\s*[)\]）]?(?:\s*[(（][^)）]*[)）]?)?\s*$",
    re.IGNORECASE,
)
_TRAILING_PAREN_ID = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\d{4,}(?:[^()]|\([^()]*\))*\)\s*$")
_TRAILING_SCRAP = re.compile(r"\s+[^\s()]{1,2}\)\s*$")
_LEADING_NUMBER = re.compile(r"^#?\d{4,}\s+(?=[A-Za-z])")


def _strip_trailing_id_group(text: str) -> str:
    """Drop a final parenthesised group holding a registration number, nested ones included."""
    stripped = text.rstrip()
    if not stripped.endswith((")", "）")):
        return text
    depth = 0
    for index in range(len(stripped) - 1, -1, -1):
        ch = stripped[index]
        if ch in ")）":
            depth += 1
        elif ch in "(（":
            depth -= 1
            if depth == 0:
                group = stripped[index:]
                return stripped[:index].rstrip() if re.search(r"\d{4,}", group) and index > 0 else text
    return text


_MID_REG = re.compile(r"\s*\(\s*\d{4,}\s?-\s?[A-Z0-9]\s*\)\s*(?=\S)")


def clean_vendor(text: str) -> str:
    """A company name without the registration number printed beside it ("ACME SDN BHD (123456-X)")."""
    text = unicodedata.normalize("NFKC", text).strip().rstrip(",;")
    cut = _MID_REG.search(text)
    if cut is not None and sum(ch.isalpha() for ch in text[: cut.start()]) >= 3:
        text = text[: cut.start()]  # "MYNEWS RETAIL SB (306295-X) FKA BISON STORES SB": the name ends at its number
    stripped = _TRAILING_SCRAP.sub("", _TRAILING_REG.sub("", _strip_trailing_id_group(text)))
    if sum(ch.isalpha() for ch in stripped) >= 3:
        text = stripped
    text = _LEADING_NUMBER.sub("", text)
    text = re.sub(r"(?i)((?:sdn\.?\s?bhd|bhd|s/b|berhad|ltd|limited)\.?)\s*\([^()]*$", r"\1", text)  # "... SDN BHD (MUTIARA RINI"
    text = re.sub(r"(?<=\bSDN)(\.?\s?)(?:[8D]HD|BH[O0])\b", r"\1BHD", text)  # "SDN DHD", "SDN BH0"
    text = re.sub(r"(?i)\b(sdn\.?\s?bhd|bhd|s/b|berhad)\s+(?:[A-Z0-9]*\d[A-Z0-9]*|[A-Z0-9]{5,8})\s?-\s?[A-Z0-9]{1,2}\s*$", r"\1", text)  # a misread reg no after the suffix ("BOZTZO-U")
    text = re.sub(r"\bS[O0]N(?=\.?\s?BHD\b)", "SDN", text)  # "SON BHD": a look-alike slip in a fixed suffix
    text = re.sub(r"(?i)(?<=[a-z)])\s*[-.]\s*(?=sdn\.?\s?bhd\b)", " ", text)  # "INTERNATIONAL-SDN BHD", "(SETIA ALAM).SDN"
    text = re.sub(r"(?<=[A-Za-z]{4})[.,]\s*(?=\()", " ", text)  # "ENTERPRISE.(SETIA": a stray stop (not "CO. (M)")
    text = re.sub(r"(?<![\w/])[5S]\s?/\s?[B8](?![\w/])", "S/B", text)  # "5/B", "5/8": Sendirian Berhad
    return clean_text(_space_parentheses(text.replace("_", " ")))


def _space_parentheses(text: str) -> str:
    """"ENTERPRISE(SETIA ALAM)SDN BHD" -> "ENTERPRISE (SETIA ALAM) SDN BHD" (OCR drops these spaces)."""
    text = re.sub(r"(?<=[A-Za-z0-9.])\(", " (", text)
    return re.sub(r"\)(?=[A-Za-z0-9])", ") ", text)


_TRAILING_TITLE = re.compile(r"\s+(?:tax\s+)?(?:invoice|receipt|facture|rechnung|factura|fattura|factuur|fatura)\s*$", re.IGNORECASE)


def _vendor_row_text(row: Any) -> str:
    """The name part of a header row: without titles, dates or ids printed on the same row."""
    return _TRAILING_TITLE.sub("", " ".join(s.text.strip() for s in _name_segs(row)))


def _repeats_start(above: Any, row: Any) -> bool:
    """"LAVENDER" over "LAVENDER CONFECTIONERY & BAKERY S/B": a logo word, not the name's first line."""
    head = re.sub(r"[^a-z0-9 ]", "", above.folded).strip()
    return bool(head) and re.sub(r"[^a-z0-9 ]", "", row.folded).strip().startswith(head)


def _name_span(row: Any) -> tuple[float, float]:
    """Left and right edge of the name part of a header row."""
    segs = _name_segs(row)
    return min(s.bbox[0] for s in segs), max(s.bbox[2] for s in segs)


def _name_segs(row: Any) -> list[Seg]:
    """The segments of a header row that can be a name: not titles, dates or ids, and only those
    printed together around the tallest one (a number far to the side is not part of it)."""
    segs = [s for s in row.segs if not (_is_title(s) or _is_stop_line(s) or _is_id_line(s))] or list(row.segs)
    if len(segs) > 1:
        anchor = max(segs, key=lambda s: s.height)
        kept = [anchor]
        for direction in (-1, 1):
            i = segs.index(anchor)
            while 0 <= i + direction < len(segs):
                nxt = segs[i + direction]
                near = kept[-1] if direction == 1 else kept[0]
                gap = nxt.bbox[0] - near.bbox[2] if direction == 1 else near.bbox[0] - nxt.bbox[2]
                if gap > 2.5 * anchor.height:
                    break
                if direction == 1:
                    kept.append(nxt)
                else:
                    kept.insert(0, nxt)
                i += direction
        segs = kept
    return segs


def _header_rows(layout: PageLayout) -> list[Any]:
    first_page = layout.rows[0].page
    header = []
    for row in layout.rows:
        if row.page != first_page or len(header) >= 15:
            break
        if header and (find_dates(row.text) and len(header) >= 3 or _table_header(row)):
            break
        header.append(row)
    return header


def _header_row_indexes(layout: PageLayout) -> set[int]:
    """Rows that are table headers, computed once per document."""
    cached = getattr(layout, "_header_rows", None)
    if cached is None:
        cached = set()
        for row in layout.rows:
            if _table_header(row):
                cached.add(row.index)
                # a title wrapped onto the next lines ("Price" / "excl. VAT") has no digits
                for nxt in layout.rows[row.index + 1 : row.index + 3]:
                    if nxt.page != row.page or any(ch.isdigit() for ch in nxt.text) or nxt.top - row.bottom > 2.5 * layout.line_height:
                        break
                    cached.add(nxt.index)
        layout._header_rows = cached  # type: ignore[attr-defined]
    return cached


def _table_header(row: Any) -> bool:
    from extraction.rules.tables import _header_columns

    return bool(_header_columns(row))


def _vendor(layout: PageLayout) -> Optional[tuple[ExtractedField, list[Any]]]:
    header = _header_rows(layout)
    if not header:
        return None
    heights = sorted(r.height for r in header)
    median_h = heights[len(heights) // 2]
    best: tuple[float, int] | None = None
    for i, row in enumerate(header):
        text = row.text.strip()
        name = clean_vendor(text)  # judged without the registration number printed beside it
        letters = sum(ch.isalpha() for ch in name)
        if letters < 3 or letters < 0.5 * len(name.replace(" ", "")):
            continue
        if _REG_NO.match(text) or _is_stop_line(_Text(_PAREN.sub(" ", text))):
            continue  # judged without the parentheses: "DION REALTIES SDN BHD (CO. NO:20154-T)" is a name
        if has_keyword(row.folded, "boilerplate") and find_keyword(row.folded, "company_suffix") is None:
            continue  # "THANK YOU", "TQ FOR SHOPPING WITH ...", "SHOPPING HOURS"
        score = 1.0
        sender = _sender_name(text)
        if sender is not None:  # "ACME AG - Street 1 - 12345 Town": the name part of a sender line
            score += 0.3
        else:
            # a branch in parentheses ("(TAMAN DAYA) SDN BHD") is part of the name, not an address
            score -= 0.8 * _address_score(_Text(_PAREN.sub(" ", row.text)))
        if find_keyword(row.folded, "company_suffix") is not None:
            score += 1.0
        score += 0.8 * max(min(row.height / max(median_h, 1.0) - 1.0, 1.0), -0.5)
        score -= 0.12 * i
        if i + 1 < len(header) and _REG_NO.match(header[i + 1].text.strip()):
            score += 1.0  # the legal name sits right above its registration number
        upper = sum(ch.isupper() for ch in text) / max(letters, 1)
        score += 0.6 * upper - 0.4
        if upper == 0:
            score -= 0.4  # printed names are rarely all lower-case (handwriting, noise)
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        return None
    first = last = best[1]

    def joinable(row: Any, ref: Any) -> bool:
        gap = max(row.bbox[1] - ref.bbox[3], ref.bbox[1] - row.bbox[3])
        a, b = _name_span(row), _name_span(ref)
        if min(a[1], b[1]) <= max(a[0], b[0]):
            return False  # side by side ("Bl ance" scribbled at the top right), not one name on two lines
        # a place name in the name ("NANDO'S CHICKENLAND MALAYSIA" over "SDN BHD") is not an address
        placed = _address_score(row) >= 1.0 and (not _suffix_only(ref) or _POSTCODE.search(row.text) or _STREET_RE.search(row.folded))
        return not (
            gap > 0.9 * max(ref.height, row.height) or _is_stop_line(row) or placed
            or _REG_NO.match(row.text.strip()) or sum(ch.isalpha() for ch in row.text) < 2
        )

    # multi-row names: "HOME MASTER HARDWARE &" + "ELECTRICAL", "PASARAYA BORONG PINTAR" + "SDN BHD"
    final_suffix = re.compile(r"(sdn\.? ?bhd|bhd|s/b|berhad|ltd|limited|inc|llc|gmbh|b\.?v|sarl|s\.?a)\.?\s*(\(|$)")
    while first > 0 and last - first < 2 and joinable(header[first - 1], header[first]) and not _repeats_start(header[first - 1], header[first]) and (
        _suffix_only(header[first])
        or header[first - 1].text.rstrip().endswith(("&", "-"))
        or header[first].text.lstrip().startswith("&")
        or (
            final_suffix.search(header[first].folded) is not None
            and final_suffix.search(header[first - 1].folded) is None
            and len(re.findall(r"[a-z]{2,}", _PAREN.sub(" ", header[first].folded))) <= 3
            and header[first - 1].height >= 0.8 * header[first].height
            and not has_keyword(header[first - 1].folded, "boilerplate")
        )
    ):
        first -= 1
    while last + 1 < len(header) and last - first < 2 and joinable(header[last + 1], header[last]):
        cur, nxt = header[last], header[last + 1]
        has_final_suffix = re.search(r"(sdn\.? ?bhd|bhd|s/b|berhad|ltd|limited|inc|llc|gmbh|b\.?v|sarl|s\.?a)\.?\s*(\(|$)", cur.folded)
        if cur.text.rstrip().endswith(("&", "-")) or _suffix_only(nxt) or (
            not has_final_suffix and re.search(r"(sdn\.? ?bhd|bhd|s/b|berhad)\.?", nxt.folded)
        ):
            last += 1
        else:
            break
    chosen = header[first : last + 1]
    raw = " ".join(_vendor_row_text(r) for r in chosen)
    if len(chosen) == 1 and _sender_name(raw) is not None:
        raw = _sender_name(raw) or raw
    text = clean_vendor(raw)
    if not text:
        return None
    bbox = _union([r.bbox for r in chosen])
    conf = (0.4 + 0.15 * max(min(best[0], 3.0), 0.0)) * _ocr_confidence(chosen)
    field = Candidate(text, raw, chosen[0].segs[0], best[0], bbox=bbox).as_field(conf)
    return field, chosen


_SENDER_SEPARATORS = re.compile(r"\s+[-|·•–]\s+")


@dataclass
class _Text:
    text: str

    @property
    def folded(self) -> str:
        return fold(self.text)


def _sender_name(text: str) -> Optional[str]:
    """The company part of a one-line sender address ("QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen")."""
    parts = _SENDER_SEPARATORS.split(text.strip())
    if len(parts) < 2 or sum(ch.isalpha() for ch in parts[0]) < 3:
        return None
    if _address_score(_Text(parts[0])) >= 1.0:
        return None
    if sum(_address_score(_Text(p)) for p in parts[1:]) < 1.0:
        return None
    return parts[0].strip()


_SHORT_ID_LINE = re.compile(r"^[\W_]*(?:[a-z.\- ]{0,20}[:#]?\s*)?[a-z0-9\-/ ]*\d{3,}[a-z0-9\-/ ]*[\W_]*$")


_ID_TOKEN_RE = re.compile(r"(?<![\w-])(?:\d{6,}[a-z]?|\d{4,}\s?-\s?[a-z0-9]{1,3})(?![\w])")
_STREET_RE = re.compile(r"(?<![a-z])(?:jalan|jln|lot|taman|tmn|lorong|road|rd|street|rue|strasse|str|calle|via|rua|no\.?\s?\d)(?![a-z])")


def _is_id_line(row: Any) -> bool:
    """Registration / tax-id / branch-code lines printed around the address ("(CO.REG :860671-D)", "Roc: 1026984-X")."""
    text = row.folded.strip()
    if _REG_NO.match(row.text.strip()) or has_keyword(text, "vendor_tax_id"):
        return True
    token = _ID_TOKEN_RE.search(text)
    if token is not None and re.fullmatch(r"\d{4}-\d{3}", token.group(0).strip()):
        token = None  # "1100-053 Lisboa": a Portuguese postcode, not a registration number
    postcode = (
        token is not None and "-" not in text[token.start() : token.end() + 1] and has_keyword(text, "address") and _POSTCODE.search(row.text)
    )
    if token is not None and not _STREET_RE.search(text) and not postcode:  # "Singapore 648886" is a town and postcode
        words = re.findall(r"[a-z]{2,}", text[: token.start()] + " " + text[token.end() :])
        if len(words) <= 4:
            return True
    return bool(_SHORT_ID_LINE.match(text)) and _address_score(row) < 1.0 and not _POSTCODE.search(row.text)


_TRAILING_TAX_ID = re.compile(r"[\s,]*\(?\s*(?:gst|sst|vat|tax)\s*(?:id|reg|no)\b.*$", re.IGNORECASE)


def _row_text_without_ids(row: Any) -> str:
    """A row's text minus pieces that are registration ids ("Co-REG:860671-D" beside the street)."""
    if len(row.segs) == 1:
        return row.text.strip()
    kept = [s.text.strip() for s in row.segs if not _is_id_line(s)]
    return " ".join(kept) if kept else row.text.strip()


def _address(layout: PageLayout, vendor_rows: list[Any]) -> Optional[ExtractedField]:
    start = vendor_rows[-1].index + 1
    picked: list[Any] = []
    tails: dict[int, str] = {}  # row index -> the address part of a row that goes on with contacts
    skipped = 0
    column = _name_column(vendor_rows)
    for full_row in layout.rows[start : start + 12]:
        if full_row.page != vendor_rows[0].page:
            break
        row = _column_view(full_row, column)
        if row is None:
            continue  # only the other header column ("Invoice #: ...") on this row
        dated = bool(find_dates(row.text) or find_times(row.text))
        if (_is_id_line(row) and not (picked and _STORE_BRANCH.fullmatch(row.text.strip()))) or (not picked and (dated or _address_score(row) == 0)):
            if picked or skipped >= 4 or _is_title(row):
                break
            skipped += 1
            continue
        if _is_stop_line(row) or _PHONE.fullmatch(row.text.strip()):
            head = _before_contact(row)
            if picked and head:  # "81750 Johor Bahru, Johor. Tel No.: 07-387 3322"
                tails[row.index] = head
                picked.append(row)
            break
        number_label = find_keyword(row.folded, "invoice_number")
        if number_label is not None and len(number_label.group(0)) >= 5:
            break  # "Invoice No: ..." : the document body has begun
        if picked and _NUMBER_WORD.search(row.folded) and _address_score(row) < 1.0:
            break  # "PREPAY CHIT NUMBER": a document number's label, not a street
        if not picked and _is_company_line(row):
            skipped += 1
            continue  # "AA PHARMACY" / "SUBANG HEALTHCARE SDN BHD": the company behind the brand
        if picked and (money_in(full_row.text) or _table_header(full_row)):
            break  # the transactional part has begun
        if picked and row.top - picked[-1].bottom > 2.0 * max(row.height, picked[-1].height):
            break  # a blank band: the address block has ended
        if picked and _address_score(row) == 0 and len(row.text.split()) > 5:
            break
        if picked and _address_score(row) < 1.0 and any(has_keyword(row.folded, g) for g in ("boilerplate", "receipt_words", "invoice_words")):
            break  # "THANK YOU", "CASHIER: ...", "PREPAY CHIT ... NOT A RECEIPT"
        picked.append(row)
        if _ends_with_country(row):
            break  # "56000 Kuala Lumpur, Malaysia": what follows is a branch name or contacts
    if len(picked) >= 2 and not re.search(r"\d", picked[0].text) and _HOUSE_NUMBER_START.match(picked[1].folded):
        picked = picked[1:]  # "IKEA Cheras" / "No 2A Jalan Cochrane": the outlet name before the street
    while picked and _address_score(picked[-1]) == 0 and not _BRANCH_NAME.fullmatch(picked[-1].text.strip()):
        picked.pop()
    if not picked or sum(_address_score(r) for r in picked) < 1.0:
        return None
    text = clean_text(" ".join(tails.get(r.index) or _row_text_without_ids(r) for r in picked))
    text = _TRAILING_TAX_ID.sub("", text).strip()
    last_text = tails.get(picked[-1].index) or picked[-1].text.strip()
    if last_text.endswith(".") and not text.endswith("."):
        text += "."
    conf = (0.4 + 0.1 * min(sum(_address_score(r) for r in picked), 4)) * _ocr_confidence(picked)
    return Candidate(text, "\n".join(r.text for r in picked), picked[0].segs[0], 0, bbox=_union([r.bbox for r in picked])).as_field(conf)


def _name_column(vendor_rows: list[Any]) -> tuple[float, float]:
    spans = [_name_span(r) for r in vendor_rows]
    return min(a for a, _ in spans), max(b for _, b in spans)


def _column_view(row: Row, column: tuple[float, float]) -> Optional[Row]:
    """The part of a row under the vendor's name: a two-column header keeps the invoice's own
    data ("Invoice #", "Date") beside the sender's address."""
    kept = [s for s in row.segs if min(s.bbox[2], column[1]) > max(s.bbox[0], column[0])]
    if len(kept) == len(row.segs):
        return row
    return Row(page=row.page, segs=kept, index=row.index) if kept else None


def _address_above(layout: PageLayout, vendor_rows: list[Any]) -> Optional[ExtractedField]:
    """An address printed above the vendor name, when none follows it.

    Fuel-station receipts head with the station and its address, then the operating company
    ("BHPETROL PERMAS JAYA 2 / LOT PTD 101051 / ... / ESJAY FUEL ENTERPRISE").
    """
    picked: list[Any] = []
    for row in reversed(layout.rows[: vendor_rows[0].index]):
        if row.page != vendor_rows[0].page or _address_score(row) == 0 or _is_stop_line(row) or _is_id_line(row):
            break
        picked.insert(0, row)
    if picked and not any(r.page == picked[0].page and not _is_title(r) for r in layout.rows[: picked[0].index]):
        picked = picked[1:]  # a page opens with a name, not an address ("BHPetrol Subang Airport")
    if len(picked) < 2 or sum(_address_score(r) for r in picked) < 2.0 or not any(_POSTCODE.search(r.text) for r in picked):
        return None
    text = clean_text(" ".join(_row_text_without_ids(r) for r in picked))
    conf = (0.3 + 0.1 * min(sum(_address_score(r) for r in picked), 4)) * _ocr_confidence(picked)
    return Candidate(text, "\n".join(r.text for r in picked), picked[0].segs[0], 0, bbox=_union([r.bbox for r in picked])).as_field(conf)


#: a full stop between a number or a long word and the next word of an address is a comma the
#: OCR misread ("AIR PANAS. SETAPAK", "NO. 47. JALAN"); abbreviations ("NO.", "P.T.", "ST.") stay
_STOP_BEFORE_WORD = re.compile(r"(?<=\S)\.(?=\s+[A-Za-z]{3,})")


def _misread_commas(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = text[: match.start()].rsplit(" ", 1)[-1]
        return "," if re.fullmatch(r"\d(?:[\d/-]{0,6}\d)?|[A-Za-z]{4,}", token) else "."

    return _STOP_BEFORE_WORD.sub(replace, text)


def _drop_unpaired_quote(text: str) -> str:
    """'BERKELEY "41150 KLANG': a lone double quote in an OCR address is a speck read as a mark."""
    if text.count('"') != 1:
        return text
    return re.sub(r'\s*"\s*', " ", text).strip()


#: a place or branch name closing an address block: "SETAPAK", "1320-TMN BATU", "(MR DIY TESCO TERBAU)"
_BRANCH_NAME = re.compile(r"\(?(?:\d{3,5} ?- ?)?[A-Z][A-Za-z .'&-]+\)?\.?")


_NUMBER_WORD = re.compile(r"\b(?:number|nombre|numero|nummer)\b")


def _is_company_line(row: Any) -> bool:
    """A company name ("... SDN BHD") with no street or postcode on it."""
    return find_keyword(row.folded, "company_suffix") is not None and not (_POSTCODE.search(row.text) or _STREET_RE.search(row.folded))


#: a store code and branch name under the address ("1076-IJOK"), not a registration number
_STORE_BRANCH = re.compile(r"\d{3,5} ?- ?[A-Z]{3,}(?: [A-Z]{2,}){0,3}")


_HOUSE_NUMBER_START = re.compile(r"\s*(?:(?:no|lot|unit|blk|block)\b\.?\s*:?\s*[a-z]?\d|\d+[a-z]?\b)")


def _ends_with_country(row: Any) -> bool:
    match = find_keyword(row.folded.rstrip(" .,;"), "country")
    return match is not None and match.end() >= len(row.folded.rstrip(" .,;")) - 1


def _before_contact(row: Any) -> Optional[str]:
    """The address part of a row that goes on with a phone or e-mail, when it is one."""
    match = find_keyword(row.folded, "contact")
    if match is None or match.start() == 0:
        return None
    head = row.text[: match.start()].rstrip(" ,;:-|")
    if _address_score(_Text(head)) < 1.0:
        return None
    return head


def _ocr_confidence(rows: list[Any]) -> float:
    """How sure the OCR was of these rows' text: a name read letter by letter is only as good as that."""
    scores = [s.line.confidence for r in rows for s in r.segs]
    return min(scores) if scores else 1.0


def _union(boxes: list[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


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
            invoice_score += 1.0 if _is_title(seg) else 0.4
            first_invoice = first_invoice or seg
        elif kind == "receipt":
            receipt_score += 1.0 if _is_title(seg) else 0.3
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
