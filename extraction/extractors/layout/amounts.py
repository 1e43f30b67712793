"""Amounts: total, subtotal, tax, tip, discount.

A label on a row (:func:`.labels.classify`) and a money-looking number to its right (up to the
next label), on the same line, or just below. Among candidate totals the one the page's own
arithmetic vouches for wins (cash - change, subtotal + tax, total + rounding adjustment); a
subtotal or tax whose label is printed but whose value is unreadable is derived from the other
two, with low confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Optional, Sequence

from extraction.extractors.layout.labels import AMOUNT_CLASSES, Candidate, classify, is_credit_note, make_field, money_in
from extraction.extractors.layout.lexicon import has_keyword, phrases
from extraction.extractors.layout.rows import PageLayout, Seg, span_bbox
from extraction.layout import union_bbox
from extraction.normalize.numbers import AmountMatch, format_amount
from extraction.schema import ExtractedField, LineItem
from extraction.vocabulary import match_labels


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


def _names_total(seg: Seg) -> bool:
    """A row title that announces the sum of the rows above ("Totals", "Total", "Gesamt")."""
    if classify(seg)[0] == "total":
        return True
    return any(m.field == "total" and m.strength == "primary" for m in match_labels(seg.text, fields=("total",), min_score=0.9))


def column_total(layout: PageLayout, first: Seg, first_amount: AmountMatch) -> tuple[AmountMatch, Seg]:
    """The total of a column whose header is a total label ("Gross Amount" over monthly rows).

    Why: a key-value grid prints the total label as a column title and the values of several
    periods under it; the document's total is the cell of that column on the row titled as a
    total ("Totals | 5 | $50.00"), not the first cell. Without such a row the first cell stays.
    """
    for row in layout.rows[first.row + 1 : first.row + 40]:
        if row.page != first.page:
            break
        cells = [s for s in row.segs if min(s.bbox[2], first.bbox[2]) - max(s.bbox[0], first.bbox[0]) > 0 and money_in(s.text)]
        if not cells:
            continue
        leading = min(row.segs, key=lambda s: s.bbox[0])
        if leading is cells[0] or not _names_total(leading):
            continue
        found = money_in(cells[0].text)
        return found[-1], cells[0]
    return first_amount, first


@dataclass
class AmountLabel:
    cls: str
    keyword: str
    amount: Decimal
    seg: Seg  # the label line
    value_seg: Seg
    distance: int
    text: str


#: label classes whose amount is never below zero outside a credit note
_NEVER_NEGATIVE = ("total", "subtotal", "tax", "paid")


def _colon_dash_split(label_text: str, value_text: str, amount: AmountMatch) -> bool:
    """Whether a negative value cell is the label's ":-" leader split by the OCR ("Total
    Payable:" | "-51.88", read from a tilted photo of "Total Payable:-51.88").

    On one line a dash glued to a label's colon is a separator
    (:func:`extraction.normalize.numbers.find_amounts`); across two cells it is one only where
    the label's class cannot be negative: a rounding or a discount line keeps its sign.
    """
    return amount.value < 0 and label_text.rstrip().endswith(":") and value_text.lstrip()[:1] in ("-", "\u2212", "\u2013")


def collect_labels(layout: PageLayout) -> list[AmountLabel]:
    labels: list[AmountLabel] = []
    header_rows = layout.table_header_rows
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
        if distance == 2 and cls == "total":
            amount, value_seg = column_total(layout, value_seg, amount)
        if distance == 1 and cls in _NEVER_NEGATIVE and _colon_dash_split(seg.text, value_seg.text, amount) and not is_credit_note(layout.segs):
            amount = replace(amount, value=-amount.value)
        labels.append(AmountLabel(cls, m.group(0), amount.value, seg, value_seg, distance, amount.text.strip()))
    return labels


def amount_labels(layout: PageLayout) -> list[AmountLabel]:
    """:func:`collect_labels`, once per document: the ranker asks which kinds of amount lines
    the rules found (tendered, change, rounding) without classifying the lines again."""
    cached = layout.memo.get("amount_labels")
    if cached is None:
        cached = layout.memo["amount_labels"] = collect_labels(layout)
    return cached  # type: ignore[return-value]


#: Label classes of a cash sale: the rules' arithmetic (cash - change, total + rounding) decides.
CASH_CLASSES = ("paid", "change", "rounding")


def is_cash_sale(layout: PageLayout) -> bool:
    """Whether the rules read a tendered, change or rounding amount on the page."""
    return any(label.cls in CASH_CLASSES for label in amount_labels(layout))


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
    value = format_amount(abs(label.amount)) if label.cls == "discount" else format_amount(label.amount)
    return Candidate(value, label.text, label.value_seg).as_field(confidence)


def amount_fields(layout: PageLayout) -> dict[str, ExtractedField]:
    labels = amount_labels(layout)
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

    weak = set(phrases("total_weak"))
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
    credit_note = is_credit_note(layout.segs)
    for label in by_cls["total"]:
        if label.amount <= 0 and not credit_note:
            continue  # "Total -0,00" on a rounding or balance line: a total is never zero or negative on an invoice
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
            box = span_bbox(seg, match.start, match.end)
            result["total"] = Candidate(format_amount(best[0]), match.text.strip(), seg, bbox=box).as_field(conf - 0.1)
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
    header_rows = layout.table_header_rows
    present = {classify(seg)[0] for seg in layout.segs if seg.row not in header_rows}
    _derive_missing(result, by_cls, present)
    for cls in ("tip", "discount"):
        if by_cls[cls]:
            best = by_cls[cls][0]
            result[cls] = _amount_field(best, 0.6 - 0.1 * best.distance)
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
    box = union_bbox([p.value_seg.bbox for p in parts])
    return Candidate(format_amount(sum(p.amount for p in parts)), " + ".join(p.text for p in parts), parts[0].value_seg, bbox=box).as_field(0.85)


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
        result["subtotal"] = result["total"].model_copy(update={"confidence": 0.45}, deep=True)
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


def may_infer_subtotal(found: dict[str, ExtractedField]) -> bool:
    """A total and nothing between it and the items (no subtotal, tax, discount or tip found)."""
    return "total" in found and not any(name in found for name in ("subtotal", "tax", "discount", "tip"))


def subtotal_from_items(found: dict[str, ExtractedField], items: Sequence[LineItem]) -> None:
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
    found["subtotal"] = total.model_copy(update={"confidence": round(min(0.8, total.confidence), 3)}, deep=True)


def _derived_field(value: Decimal, label: Optional[AmountLabel]) -> ExtractedField:
    """A value computed from two others, placed at its label's value when that was found."""
    if label is None:
        return make_field(format_amount(value), "", 0.45, page=None, box=None)
    return Candidate(format_amount(value), label.text, label.value_seg).as_field(0.45)


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
    return Candidate(format_amount(best[0]), best[2].text.strip(), best[1]).as_field(0.3)
