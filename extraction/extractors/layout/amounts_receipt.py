"""The amount a receipt's customer actually paid, decided jointly from its money lines.

A till receipt prints several amounts that are all "totals" of a kind: the sum before rounding,
the rounding adjustment, the rounded amount due, the cash tendered and the change, a discount
taken off a subtotal. Labels alone do not say which one was paid ("TOTAL SALES 88.97" and "TOTAL
AFTER ADJ 88.95" both read as totals), but the receipt's own arithmetic does: the paid amount is
cash tendered minus change, a total plus its rounding, a subtotal plus tax minus a discount.
Every amount that such relations vouch for is a hypothesis; the one that most independent
relations agree on wins. It replaces the first reading's total only when the receipt prints it
under a total or amount-due label, at least two relations prove it, and the first reading's
total has clearly less support: an amount the arithmetic derives but no line prints (cash minus
change when the total line shows the unrounded sum) is evidence, not an answer.

The roles of the lines come from the shared label vocabulary (``extraction/vocabulary``: total,
amount due, subtotal, tax, rounding, discount, tendered, change in every language it covers), so
German, French, Italian, Dutch or Malay receipts are read the same way. A label whose amount is
printed on the next row (narrow receipts wrap "TOTAL" over "12.40") is paired with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from extraction.extractors.layout.labels import Candidate, classify, make_field, money_in
from extraction.extractors.layout.rows import PageLayout, Row, Seg, span_bbox
from extraction.normalize.numbers import AmountMatch, format_amount
from extraction.schema import ExtractedField
from extraction.vocabulary import match_labels

#: vocabulary fields that take part in a receipt's arithmetic
ROLES = ("total", "amount_due", "subtotal", "tax", "rounding", "discount", "tendered", "change")
#: a cent of tolerance: amounts are compared after the printed rounding
_CENT = Decimal("0.005")
#: a rounding adjustment is small: cash rounding to 0.05 or 0.10, a few cents at most
_MAX_ROUNDING = Decimal("1")
#: a label of at most this many words (and no digits) is asked about even when the lexicon is silent
_SHORT_LABEL_WORDS = 3
#: how much each relation counts when it vouches for a hypothesis
_WEIGHT_CASH = 2.0  # tendered - change: money that changed hands
_WEIGHT_EXACT_TENDER = 1.0  # a card or cash payment of exactly the amount (no change line)
_WEIGHT_ROUNDED = 1.5  # a total plus its printed rounding adjustment
_WEIGHT_SUM = 1.0  # subtotal + tax - discount
_WEIGHT_LABEL = 1.0  # printed under a total or amount-due label (primary); secondary labels 0.6
_PENALTY_SUPERSEDED = 1.0  # a total that a printed rounding turns into another amount
_PENALTY_OVER_TENDER = 2.0  # more than the cash handed over (while change is printed)
#: support needed to replace the first reading's total, and the lead over it
_MIN_SUPPORT = 2.5
_MIN_LEAD = 1.0


@dataclass(frozen=True)
class MoneyLine:
    """A printed line that takes part in the arithmetic: its role, amount and where it is."""

    role: str
    amount: Decimal
    strength: str  # the label's strength in the vocabulary: primary | secondary
    row: int
    seg: Seg
    match: AmountMatch


def _role(text: str) -> Optional[tuple[str, str]]:
    """The vocabulary role of a label text: a primary label before a secondary one ("TOTAL AFTER
    ADJ INCL GST" is a total, not the tax it mentions), then the longest."""
    best: Optional[tuple[int, int, str, str]] = None
    for m in match_labels(text, fields=ROLES + ("payment_means",), min_score=0.85):
        role = "tendered" if m.field == "payment_means" else m.field  # "COMPTANT 50,00", "VISA 12.40": the amount handed over
        key = (1 if m.strength == "primary" else 0, m.end - m.start)
        if best is None or key > best[:2]:
            best = (key[0], key[1], role, m.strength)
    return None if best is None else (best[2], best[3])


def _money(text: str) -> list[AmountMatch]:
    """Money on a line; lines without decimals or a currency mark (most of a receipt's) are
    skipped before the full amount parser runs."""
    return money_in(text) if _MAYBE_MONEY.search(text) else []


#: what every amount :func:`money_in` accepts has: decimals, or a currency mark beside it
_MAYBE_MONEY = re.compile(r"\d[.,]\d|[$€£¥₹]|(?<![a-z])(?:rs|rm|inr|usd|eur|gbp|myr|sgd|chf)(?![a-z])", re.IGNORECASE)


def _rightmost_money(row: Row) -> Optional[tuple[Seg, AmountMatch, str]]:
    """The rightmost amount on a row, its segment, and the row's text before it (the label)."""
    found: Optional[tuple[Seg, AmountMatch, str]] = None
    before: list[str] = []
    for seg in sorted(row.segs, key=lambda s: s.bbox[0]):
        amounts = _money(seg.text)
        if amounts:
            last = amounts[-1]
            found = (seg, last, " ".join(before + [seg.text[: last.start]]).strip())
        before.append(seg.text)
    return found


def _worth_reading(row: Row) -> bool:
    """Whether a row may be a money line worth the vocabulary's fuzzy match (and the amount
    parsing): the page lexicon classifies it as an amount line, or it has only a few words
    ("Byttepenge 4,50", "Zu zahlen EUR 12,40"); item lines carry longer names."""
    if len(_WORD.findall(row.text)) <= _SHORT_LABEL_WORDS + 1:  # a currency code beside the label
        return True
    return _lexicon_amount(row)


_WORD = re.compile(r"[^\W\d_]{2,}")


def read_money_lines(layout: PageLayout) -> list[MoneyLine]:
    """Every row whose label names a role and whose amount is on the row or the row below."""
    lines: list[MoneyLine] = []
    rows = layout.rows
    money_of: dict[int, Optional[tuple[Seg, AmountMatch, str]]] = {}

    def money(i: int) -> Optional[tuple[Seg, AmountMatch, str]]:
        if i not in money_of:
            money_of[i] = _rightmost_money(rows[i])
        return money_of[i]

    for i, row in enumerate(rows):
        if not _worth_reading(row):
            continue
        found = money(i)
        if found is not None:
            seg, amount, label = found
            if not any(ch.isalpha() for ch in label) or any(ch.isdigit() for ch in label) and not _lexicon_amount(row):
                continue  # an amount alone (a wrapped value, a price column), an item with a code or quantity
            role = _role(label)
            if role is not None:
                lines.append(MoneyLine(role[0], amount.value, role[1], row.index, seg, amount))
            continue
        if i + 1 < len(rows) and rows[i + 1].page == row.page and any(ch.isalpha() for ch in row.text):
            below = money(i + 1)
            if below is not None and _only_currency(below[2]):
                role = _role(row.text)  # "TOTAL" over "12.40" on a narrow receipt
                if role is not None:
                    lines.append(MoneyLine(role[0], below[1].value, role[1], rows[i + 1].index, below[0], below[1]))
    return lines


def _only_currency(text: str) -> bool:
    """Nothing but an amount's currency before it ("RM", "EUR", "€"): a value row, not a label."""
    letters = "".join(ch for ch in text if ch.isalpha())
    return len(letters) <= 3 and " " not in text.strip()


def _lexicon_amount(row: Row) -> bool:
    return any(classify(seg)[0] not in (None, "not_amount", "vendor_tax_id") for seg in row.segs)


@dataclass
class Hypothesis:
    value: Decimal
    support: float
    reasons: list[str]


def _near(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= _CENT


def score_hypotheses(lines: list[MoneyLine]) -> list[Hypothesis]:
    """Every amount the lines vouch for, with the support of the relations that agree on it."""
    by_role: dict[str, list[MoneyLine]] = {role: [] for role in ROLES}
    for line in lines:
        by_role[line.role].append(line)
    totals = by_role["total"] + by_role["amount_due"]
    roundings = [l.amount for l in by_role["rounding"] if l.amount != 0 and abs(l.amount) < _MAX_ROUNDING]
    tendered = [l.amount for l in by_role["tendered"] if l.amount > 0]
    change = [l.amount for l in by_role["change"] if l.amount >= 0]
    subtotals = [l.amount for l in by_role["subtotal"] if l.amount > 0]
    taxes = [l.amount for l in by_role["tax"] if l.amount >= 0]
    discounts = [abs(l.amount) for l in by_role["discount"] if l.amount != 0]

    values: set[Decimal] = {l.amount for l in totals if l.amount > 0}
    cash_paid = {t - c for t in tendered for c in change if t >= c}
    rounded = {l.amount + r for l in totals for r in roundings}
    sums = {s + t for s in subtotals for t in [Decimal(0)] + taxes}
    sums |= {v - d for v in set(sums) for d in discounts if v > d}
    values |= {v for v in cash_paid | rounded if v > 0}
    #: amounts a rounding may lead to: printed totals and cash handed over less change
    settled = {l.amount for l in totals if l.amount > 0} | {v for v in cash_paid if v > 0}

    hypotheses = []
    for value in values:
        support, reasons = 0.0, []
        labelled = [l for l in totals if _near(l.amount, value)]
        if labelled:
            support += max(_WEIGHT_LABEL if l.strength == "primary" else 0.6 * _WEIGHT_LABEL for l in labelled)
            reasons.append("label")
        if change and any(_near(v, value) for v in cash_paid):
            support += _WEIGHT_CASH
            reasons.append("tendered - change")
        elif not change and any(_near(t, value) for t in tendered):
            support += _WEIGHT_EXACT_TENDER
            reasons.append("tendered")
        if any(_near(v, value) for v in rounded):
            support += _WEIGHT_ROUNDED
            reasons.append("total + rounding")
        if any(_near(v, value) for v in sums) and (taxes or discounts):
            support += _WEIGHT_SUM
            reasons.append("subtotal + tax - discount")
        if any(_near(value + r, other) for r in roundings for other in settled if not _near(other, value)):
            support -= _PENALTY_SUPERSEDED
            reasons.append("rounded into another amount")
        if change and tendered and value > max(tendered) + _CENT:
            support -= _PENALTY_OVER_TENDER
            reasons.append("more than tendered")
        hypotheses.append(Hypothesis(value, support, reasons))
    hypotheses.sort(key=lambda h: (-h.support, -h.value))
    return hypotheses


def _field_for(value: Decimal, lines: list[MoneyLine], layout: PageLayout, support: float) -> ExtractedField:
    """The paid amount where it is printed (a total line first, then any line), else derived."""
    confidence = min(0.55 + 0.1 * support, 0.97)
    printed = [l for l in lines if _near(l.amount, value) and l.role in ("total", "amount_due")]
    printed += [l for l in lines if _near(l.amount, value) and l not in printed]
    if printed:
        line = printed[-1] if printed[0].role in ("total", "amount_due") else printed[0]
        box = span_bbox(line.seg, line.match.start, line.match.end)
        return Candidate(format_amount(value), line.match.text.strip(), line.seg, bbox=box).as_field(confidence)
    for seg in layout.segs:
        for amount in money_in(seg.text):
            if _near(amount.value, value):
                return Candidate(format_amount(value), amount.text.strip(), seg, bbox=span_bbox(seg, amount.start, amount.end)).as_field(confidence)
    return make_field(format_amount(value), "", confidence - 0.1, page=None, box=None)


def settle_paid_total(layout: PageLayout, found: dict[str, ExtractedField]) -> dict[str, ExtractedField]:
    """The fields with the total replaced by the paid amount when the receipt's arithmetic proves
    another amount than the first reading's (returns ``found`` itself when nothing changes)."""
    lines = read_money_lines(layout)
    if not any(l.role in ("tendered", "change", "rounding", "discount") for l in lines):
        return found  # no cash arithmetic: the first reading stands (invoices, plain totals)
    hypotheses = score_hypotheses(lines)
    if not hypotheses:
        return found
    best = hypotheses[0]
    if "label" not in best.reasons:
        return found  # only an amount the receipt prints as its total or amount due replaces one
    current = _decimal(found.get("total"))
    if current is not None and _near(current, best.value):
        return found
    if current is None:
        if best.support < _MIN_SUPPORT - _MIN_LEAD:
            return found
    else:
        held = next((h.support for h in hypotheses if _near(h.value, current)), 0.0)
        if best.support < _MIN_SUPPORT or best.support - held < _MIN_LEAD:
            return found
    updated = dict(found)
    updated["total"] = _field_for(best.value, lines, layout, best.support)
    return updated


def _decimal(found: Optional[ExtractedField]) -> Optional[Decimal]:
    if found is None:
        return None
    try:
        return Decimal(str(found.value))
    except ArithmeticError:
        return None
