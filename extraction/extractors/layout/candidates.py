"""Candidate values for ranked fields and the features that describe them.

Why one module: the learned ranker (:mod:`.ranker`) is trained offline on these features
(``builder/train_ranker.py``) and applied to them at extraction time; both call
:func:`candidates_for`, so training and inference cannot drift apart.

A candidate is a value printed on the page (an amount for total / subtotal / tax, an id-shaped
token for invoice / PO number). It is described by the label evidence around it, found with the
multilingual vocabulary (:mod:`extraction.vocabulary`) in three geometric relations: the label
nearest before it on its line, the nearest labelled segment to its left on its row, and the
nearest labelled segment above it in its column (a column title or a key/value grid). Then its
place on the page, its type size, its format, how often it is printed, whether page arithmetic
vouches for it (another two amounts summing to it, a column above adding up to it), and whether
the rules chose it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from typing import Optional

from extraction.extractors.layout.labels import is_credit_note, money_in
from extraction.extractors.layout.rows import PageLayout, Seg, span_bbox
from extraction.layout import BBox
from extraction.normalize.dates import find_dates
from extraction.vocabulary import LabelMatch, match_labels

AMOUNT_FIELDS = ("total", "subtotal", "tax")
ID_FIELDS = ("invoice_number", "po_number")
RANKED_FIELDS = AMOUNT_FIELDS + ID_FIELDS

#: Vocabulary fields whose labels are evidence for (or against) a ranked field.
LABEL_FIELDS = (
    "total", "amount_due", "subtotal", "tax", "tax_rate", "discount", "tendered", "change",
    "invoice_number", "po_number", "contract_number", "customer_number", "date", "due_date",
    "column_amount", "column_unit_price", "column_quantity", "vendor_tax_id",
)
RELATIONS = ("line", "row", "above")

_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]*\d[A-Za-z0-9/_.\-]*")
_CURRENCY = re.compile(r"[$€£¥₹]|\b(?:usd|eur|gbp|chf|rm|inr|sek|nok|dkk)\b", re.IGNORECASE)
_PHONE = re.compile(r"^\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}$")
_MAX_ABOVE_ROWS = 4


@dataclass
class ValueCandidate:
    """One printed value: what it is (``value``: a Decimal amount or an id string), where it is."""

    value: object
    text: str
    seg: Seg
    start: int
    end: int

    @cached_property
    def bbox(self) -> BBox:
        return span_bbox(self.seg, self.start, self.end)

    @property
    def in_parentheses(self) -> bool:
        """An amount printed in parentheses, "($214.20)": accounting's negative (a deduction such
        as an agency commission), though the number itself carries no sign."""
        before = self.seg.text[: self.start].rstrip(" $€£¥₹")
        after = self.seg.text[self.end :].lstrip()
        return self.text.endswith(")") or before.endswith("(") or after.startswith(")")


def feature_names() -> list[str]:
    """The feature columns, in order (the model file records them; a mismatch disables it)."""
    names = [f"{rel}_{field}" for rel in RELATIONS for field in LABEL_FIELDS]
    names += [f"{rel}_distance" for rel in RELATIONS]
    names += [f"{rel}_primary" for rel in RELATIONS]
    names += [
        "x", "y", "pages_after", "page_count", "font_height", "value_share_of_seg", "seg_words",
        "log_value", "negative", "zero", "has_decimals", "currency_sign", "rank_desc", "is_largest",
        "repeats", "sum_of_two", "part_of_sum", "column_sum", "credit_note",
        "id_length", "id_digits", "id_digit_share", "id_letters", "id_separator", "id_phone_like",
        "rule_same_field", "rule_other_field",
    ]
    return names


class LabelIndex:
    """Vocabulary labels of every segment, found once per document (matching is the costly part)."""

    def __init__(self, layout: PageLayout) -> None:
        self.layout = layout
        self.matches: list[list[LabelMatch]] = [
            match_labels(seg.text, fields=LABEL_FIELDS, min_score=0.85) if any(ch.isalpha() for ch in seg.text) or "#" in seg.text else []
            for seg in layout.segs
        ]
        self.cache: dict[str, tuple[list[ValueCandidate], list[list[float]]]] = {}
        self.money = [money_in(seg.text) if any(ch.isdigit() for ch in seg.text) else [] for seg in layout.segs]
        self.credit_note = is_credit_note(layout.segs)

    def has_label(self, fields: tuple[str, ...]) -> bool:
        """Whether any segment carries a primary label of one of ``fields``."""
        indexed = tuple(f for f in fields if f in LABEL_FIELDS)
        if any(m.field in indexed and m.strength == "primary" for found in self.matches for m in found):
            return True
        others = tuple(f for f in fields if f not in LABEL_FIELDS)  # not features: matched on demand, not stored
        return bool(others) and any(
            m.strength == "primary"
            for seg in self.layout.segs
            if any(ch.isalpha() for ch in seg.text)
            for m in match_labels(seg.text, fields=others, min_score=0.85)
        )

    def last_label(self, seg: Seg, before: Optional[int] = None) -> list[LabelMatch]:
        """The label printed last in ``seg`` (before character ``before`` when given): every
        field its words name ("Total" is a total and a column title; the context decides)."""
        found = [m for m in self.matches[seg.index] if before is None or m.end <= before]
        if not found:
            return []
        last = max(found, key=lambda m: m.end)
        return [m for m in found if m.end > last.start]


def _label_strength(match: LabelMatch) -> float:
    return match.score * (1.0 if match.strength == "primary" else 0.6) * (0.9 if match.abbreviation else 1.0)


def _relations(index: LabelIndex, cand: ValueCandidate) -> dict[str, tuple[list[LabelMatch], float]]:
    """The nearest label in each relation and its distance (characters, segments, line heights)."""
    layout = index.layout
    seg = cand.seg
    out: dict[str, tuple[list[LabelMatch], float]] = {}
    line = index.last_label(seg, before=cand.start)
    out["line"] = (line, float(cand.start - max(m.end for m in line)) / 10 if line else 0.0)
    row_hit: tuple[list[LabelMatch], float] = ([], 0.0)
    row = layout.rows[seg.row]
    left = [s for s in row.segs if s.bbox[2] <= seg.bbox[0] + 0.5 * seg.height and s is not seg]
    for steps, other in enumerate(sorted(left, key=lambda s: -s.bbox[2])):
        found = index.last_label(other)
        if found:
            row_hit = (found, float(steps + 1))
            break
    out["row"] = row_hit
    box = cand.bbox
    above: tuple[list[LabelMatch], float] = ([], 0.0)
    line_height = max(layout.line_height, 1.0)
    for prev in reversed(layout.rows[max(0, seg.row - _MAX_ABOVE_ROWS) : seg.row]):
        if prev.page != seg.page or box[1] - prev.bottom > 6.0 * line_height:
            break
        hits = []
        for other in prev.segs:
            overlap = min(other.bbox[2], box[2]) - max(other.bbox[0], box[0])
            if overlap > -0.5 * seg.height:
                found = index.last_label(other)
                if found:
                    hits.append((-overlap, found))
        if hits:
            above = (min(hits, key=lambda h: h[0])[1], (box[1] - prev.bottom) / line_height)
            break
    out["above"] = above
    return out


def amount_candidates(layout: PageLayout, index: LabelIndex) -> list[ValueCandidate]:
    """Every money-looking amount on the page."""
    found = []
    for seg in layout.segs:
        for a in index.money[seg.index]:
            start = a.start + (len(a.text) - len(a.text.lstrip()))
            found.append(ValueCandidate(a.value, a.text.strip(), seg, start, a.end))
    return found


def id_candidates(layout: PageLayout, index: LabelIndex) -> list[ValueCandidate]:
    """Every id-shaped token (three digits or more, not a date, not money) on the page."""
    found = []
    for seg in layout.segs:
        text = seg.text
        tokens = [m for m in _ID_TOKEN.finditer(text) if 3 <= sum(ch.isdigit() for ch in m.group(0)) and len(m.group(0)) <= 31]
        if not tokens:
            continue
        taken = [(a.start, a.end) for a in index.money[seg.index]]
        if any(ch in text for ch in "./-"):
            taken += [(d.start, d.end) for d in find_dates(text)]
        for m in tokens:
            value = m.group(0).rstrip(".-/")
            if sum(ch.isdigit() for ch in value) < 3 or len(value) > 30:
                continue
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            found.append(ValueCandidate(value, value, seg, m.start(), m.start() + len(value)))
    return found


def candidates_for(
    layout: PageLayout, index: LabelIndex, field: str, rules: dict[str, object]
) -> tuple[list[ValueCandidate], list[list[float]]]:
    """Candidates for ``field`` and one feature row each (columns: :func:`feature_names`).

    ``rules`` maps field names to the rules' values (Decimal for amounts, str for ids)."""
    is_amount = field in AMOUNT_FIELDS
    kind = "amount" if is_amount else "id"
    if kind not in index.cache:
        index.cache[kind] = _described(layout, index, is_amount)
    cands, base = index.cache[kind]
    same = rules.get(field)
    others = [v for k, v in rules.items() if k != field and (k in AMOUNT_FIELDS) == is_amount]
    rows = [feats + [float(same is not None and same == cand.value), float(any(o == cand.value for o in others))] for cand, feats in zip(cands, base)]
    return cands, rows


def _described(layout: PageLayout, index: LabelIndex, is_amount: bool) -> tuple[list[ValueCandidate], list[list[float]]]:
    """Candidates of one kind and their features except the rules' agreement (shared by fields)."""
    cands = amount_candidates(layout, index) if is_amount else id_candidates(layout, index)
    if not cands:
        return [], []
    page_count = max(s.page for s in layout.segs)
    amounts = [a.value for found in index.money for a in found]
    distinct = sorted({abs(v) for v in amounts}, reverse=True)  # type: ignore[arg-type]
    value_set = set(amounts)
    counts: dict[object, int] = {}
    for c in cands:
        counts[c.value] = counts.get(c.value, 0) + 1
    sums = _pair_sums(amounts) if is_amount else set()
    parts = _parts_of_sums(amounts) if is_amount else set()
    rows = []
    line_height = max(layout.line_height, 1.0)
    for cand in cands:
        rel = _relations(index, cand)
        feats: list[float] = []
        for name in RELATIONS:
            strengths = {f: 0.0 for f in LABEL_FIELDS}
            for match in rel[name][0]:
                strengths[match.field] = max(strengths[match.field], _label_strength(match))
            feats += [strengths[f] for f in LABEL_FIELDS]
        feats += [rel[name][1] if rel[name][0] else -1.0 for name in RELATIONS]
        feats += [1.0 if any(m.strength == "primary" for m in rel[name][0]) else 0.0 for name in RELATIONS]
        seg = cand.seg
        box = cand.bbox
        width = layout.page_width.get(seg.page, 1.0) or 1.0
        height = layout.page_height.get(seg.page, 1.0) or 1.0
        feats += [
            (box[0] + box[2]) / 2 / width,
            (box[1] + box[3]) / 2 / height,
            float(page_count - seg.page),
            float(page_count),
            seg.height / line_height,
            len(cand.text) / max(len(seg.text.strip()), 1),
            float(len(seg.text.split())),
        ]
        if is_amount:
            value = cand.value  # type: ignore[assignment]
            assert isinstance(value, Decimal)
            rank = distinct.index(abs(value)) if abs(value) in distinct else len(distinct)
            feats += [
                math.log10(float(abs(value)) + 1.0),
                float(value < 0 or cand.text.startswith("-") or cand.text.endswith("-")),
                float(value == 0),
                float(bool(re.search(r"[.,]\d{2}$", cand.text))),
                float(bool(_CURRENCY.search(seg.text[max(0, cand.start - 4) : cand.end + 4]))),
                rank / max(len(distinct), 1),
                float(rank == 0),
                float(min(counts[value], 6)),
                float(value in sums),
                float(value in parts),
                float(_column_sum(layout, index, cand)),
                float(index.credit_note),
                0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            ]
        else:
            token = str(cand.value)
            digits = sum(ch.isdigit() for ch in token)
            feats += [0.0] * 4 + [0.0, 0.0, 0.0] + [float(min(counts[cand.value], 6)), float(token in {str(v) for v in value_set}), 0.0, 0.0, float(index.credit_note)]
            feats += [
                float(len(token)),
                float(digits),
                digits / max(len(token), 1),
                float(sum(ch.isalpha() for ch in token)),
                float(any(ch in token for ch in "-/._")),
                float(bool(_PHONE.match(seg.text[max(0, cand.start - 1) : cand.end].strip()))),
            ]
        rows.append(feats)
    return cands, rows


def _pair_sums(amounts: list) -> set:
    """Values equal to the sum of two other (different, positive) amounts on the page."""
    positive = sorted({a for a in amounts if a > 0})
    if len(positive) > 150:
        positive = positive[-150:]
    return {a + b for i, a in enumerate(positive) for b in positive[i + 1 :]} & set(positive)


def _parts_of_sums(amounts: list) -> set:
    """Values that are one of two amounts summing to a third amount on the page."""
    positive = sorted({a for a in amounts if a > 0})
    if len(positive) > 150:
        positive = positive[-150:]
    present = set(positive)
    parts = set()
    for i, a in enumerate(positive):
        for b in positive[i + 1 :]:
            if a + b in present:
                parts.update((a, b))
    return parts


def _column_sum(layout: PageLayout, index: LabelIndex, cand: ValueCandidate) -> bool:
    """The amount is the sum of two or more amounts printed above it in its column (right-aligned)."""
    value = cand.value
    box = cand.bbox
    tolerance = 1.5 * max(layout.line_height, 1.0)
    total = Decimal(0)
    seen = 0
    for row in reversed(layout.rows[max(0, cand.seg.row - 40) : cand.seg.row]):
        if row.page != cand.seg.page:
            break
        for other in row.segs:
            if abs(other.bbox[2] - box[2]) > tolerance:
                continue
            found = index.money[other.index]
            if found:
                total += found[-1].value
                seen += 1
                if seen >= 2 and total == value:
                    return True
    return False
