"""Gross, commission and net: the total of an order billed through an agency is the gross amount.

Why: broadcast and media orders print the gross amount, the agency's commission deducted from it
and the net amount the agency pays ("Gross Total $2,635.00 / Agency Commission $395.25 / Net
Amount Due $2,239.75"), often as a row per period under column titles ("Gross Amount | Agency
Comm. | Net Amount"). Every one of the three is labelled like a total somewhere, and the net one
is usually printed last and largest in type, so label evidence alone picks it. The arithmetic
decides instead: when an amount labelled as a commission (the ``commission`` field of the label
vocabulary, on its line, beside it on its row, or as the title of its column) is the difference
between two other printed amounts, gross - commission = net, the larger of those is the gross and
the document's total. With several such rows (one per period, then the totals row) the largest
gross is the order's.

Only a commission label makes a deduction one: a discount (``Subtotal 100 / Discount 10 / Total
90``) lowers what is owed, so a discounted invoice keeps its net total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from extraction.extractors.layout.labels import Candidate, money_in
from extraction.extractors.layout.rows import PageLayout, Seg, span_bbox
from extraction.normalize.numbers import AmountMatch, format_amount
from extraction.schema import ExtractedField
from extraction.vocabulary import match_labels

#: A segment of more words than this is running text ("Federal Communications Commission ...").
_PROSE_WORDS = 12
#: Rows scanned upwards for the title of an amount's column.
_COLUMN_ROWS = 40
_CENT = Decimal("0.005")


@dataclass(frozen=True)
class Printed:
    value: Decimal
    seg: Seg
    match: AmountMatch


@dataclass(frozen=True)
class GrossNet:
    gross: Printed
    commission: Printed
    net: Printed


def _commission_spans(seg: Seg) -> list[tuple[int, int]]:
    """Character spans of the commission labels in ``seg`` (none in running text)."""
    if not any(ch.isalpha() for ch in seg.text) or len(seg.text.split()) > _PROSE_WORDS:
        return []
    return [(m.start, m.end) for m in match_labels(seg.text, fields=("commission",), min_score=0.9)]


def _is_rate(seg: Seg, start: int, end: int, label_end: int) -> bool:
    """"Commission % 15.00", "Commission 15%": a rate, not an amount."""
    return "%" in seg.text[label_end:start] or seg.text[end : end + 2].lstrip().startswith("%")


def _labelled_commission(layout: PageLayout, seg: Seg, amount: AmountMatch, spans: dict[int, list[tuple[int, int]]]) -> bool:
    """Whether a commission label names this amount: on its line before it, as the nearest
    labelled segment of its row, or as the title of its column."""
    start = amount.start + (len(amount.text) - len(amount.text.lstrip()))
    own = [s for s in spans.get(seg.index, []) if s[1] <= start]
    if own:
        label_end = max(e for _, e in own)
        between = seg.text[label_end:start]
        return not money_in(between) and not _is_rate(seg, start, amount.end, label_end)
    if money_in(seg.text[:start]):
        return False  # another amount sits between any label to the left and this one
    row = layout.rows[seg.row]
    others = sorted((s for s in row.segs if s is not seg and any(ch.isalpha() for ch in s.text)), key=lambda s: abs((s.bbox[0] + s.bbox[2]) / 2 - seg.bbox[0]))
    left = [s for s in others if s.bbox[2] <= seg.bbox[0] + 0.5 * seg.height]
    if left:
        nearest = max(left, key=lambda s: s.bbox[2])
        if not money_in(nearest.text) and spans.get(nearest.index):
            return not _is_rate(nearest, len(nearest.text), len(nearest.text), max(e for _, e in spans[nearest.index]))
    box = span_bbox(seg, start, amount.end)
    for prev in reversed(layout.rows[max(0, seg.row - _COLUMN_ROWS) : seg.row]):
        if prev.page != seg.page:
            break
        over = [s for s in prev.segs if min(s.bbox[2], box[2]) - max(s.bbox[0], box[0]) > 0]
        if not over:
            continue
        if any(money_in(s.text) for s in over):
            continue  # a value of the same column on an earlier row (another period)
        for title in over:
            for a, b in spans.get(title.index, []):
                label = span_bbox(title, a, b)
                if min(label[2], box[2]) - max(label[0], box[0]) > -0.5 * seg.height:
                    return True
        return False  # the column's title is another one
    return False


def gross_net_rows(layout: PageLayout) -> list[GrossNet]:
    """Every gross - commission = net the page prints, with a labelled commission."""
    spans = {seg.index: found for seg in layout.segs if (found := _commission_spans(seg))}
    if not spans:
        return []
    printed: dict[Decimal, list[Printed]] = {}
    commissions: list[Printed] = []
    for seg in layout.segs:
        if not any(ch.isdigit() for ch in seg.text):
            continue
        for amount in money_in(seg.text):
            value = abs(amount.value)
            if value == 0:
                continue
            entry = Printed(value, seg, amount)
            printed.setdefault(value, []).append(entry)
            if _labelled_commission(layout, seg, amount, spans):
                commissions.append(entry)
    found: list[GrossNet] = []
    for commission in commissions:
        for gross_value, grosses in printed.items():
            if gross_value <= 2 * commission.value:
                continue  # a commission is a share of the gross, never most of it
            nets = printed.get(gross_value - commission.value)
            if not nets:
                continue
            gross = min(grosses, key=lambda p: (p.seg.page != commission.seg.page, abs(p.seg.row - commission.seg.row)))
            net = min(nets, key=lambda p: (p.seg.page != commission.seg.page, abs(p.seg.row - commission.seg.row)))
            found.append(GrossNet(gross, commission, net))
    return found


def gross_total(layout: PageLayout, found: dict[str, ExtractedField]) -> None:
    """The total becomes the largest gross of :func:`gross_net_rows` when the chosen total is
    smaller (a net amount, a commission, a net amount plus tax), in place."""
    rows = gross_net_rows(layout)
    if not rows:
        return
    best = max(rows, key=lambda r: (r.gross.value, -r.gross.seg.index))
    current = found.get("total")
    try:
        value: Optional[Decimal] = Decimal(str(current.value)) if current is not None and current.value is not None else None
    except ArithmeticError:
        value = None
    if value is not None and value >= best.gross.value - _CENT:
        return
    gross = best.gross
    confidence = max(current.confidence if current is not None else 0.0, 0.85)
    start = gross.match.start + (len(gross.match.text) - len(gross.match.text.lstrip()))
    box = span_bbox(gross.seg, start, gross.match.end)
    found["total"] = Candidate(format_amount(gross.value), gross.match.text.strip(), gross.seg, bbox=box).as_field(confidence)
