"""Line items from the item table: header row -> columns -> one item per priced row.

A header row names at least two of description / quantity / unit price / amount (any
language of the lexicon); numbers under it are assigned to the nearest header column, and
``quantity x unit_price = amount`` picks the reading when the columns are unclear. Rows with
text but no numbers continue the previous item's description. The table ends at the first
total/subtotal/tax row.
"""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING, Optional

from extraction.layout import Word
from extraction.rules.lexicon import find_keyword, fold
from extraction.rules.numbers import find_amounts, format_amount, format_quantity, parse_amount
from extraction.rules.rows import PageLayout, Row
from extraction.schema import ExtractedField, LineItem

if TYPE_CHECKING:  # pragma: no cover
    pass

COLUMNS = ("description", "quantity", "unit_price", "amount")
_QTY_UNIT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:x|pcs?|pc|units?|unit[ée]\(?s?\)?|st(?:k|ück)?|kg|g|l|h|hrs?|heures?|jours?|days?)?\.?$", re.IGNORECASE)


def _header_columns(row: Row) -> dict[str, tuple[float, float]]:
    """Column name -> x-range, when this row looks like a table header."""
    columns: dict[str, tuple[float, float]] = {}
    words = [w for seg in row.segs for w in seg.line.words]
    # match on whole segments first (multi-word headers like "Prix unitaire"), then on words
    for unit in [(seg.line.text, seg.bbox) for seg in row.segs] + [(w.text, w.bbox) for w in words]:
        text, bbox = unit
        folded = fold(text)
        for name in ("quantity", "unit_price", "amount", "description"):
            m = find_keyword(folded, f"line_header_{name}")
            if m is None or name in columns:
                continue
            if name == "amount" and "unit_price" in columns and columns["unit_price"][0] <= bbox[0] <= columns["unit_price"][1]:
                continue
            if len(m.group(0)) < 0.5 * len(folded.strip()) and len(folded.strip()) > 14:
                continue  # a sentence that merely contains the word
            columns[name] = (bbox[0], bbox[2])
    if len(columns) >= 2 and ("amount" in columns or "unit_price" in columns):
        return columns
    return {}


def _is_stop(row: Row) -> bool:
    from extraction.extractors.rules import classify  # late import: the extractor imports this module

    for seg in row.segs:
        cls, _ = classify(seg)
        if cls in ("total", "subtotal", "tax", "paid", "change", "rounding"):
            return True
    return False


def _numeric_words(row: Row) -> list[tuple[Decimal, Word, bool]]:
    """(value, word, has_decimals) for words of the row that read as a number."""
    found = []
    for seg in row.segs:
        for word in seg.line.words:
            text = word.text.strip()
            if text.endswith("%"):
                continue
            value = parse_amount(text)
            if value is None:
                m = _QTY_UNIT.match(text)
                if m:
                    value = parse_amount(m.group(1))
            if value is None:
                continue
            found.append((value, word, any(a.has_decimals for a in find_amounts(text))))
    return found


def _merge_split_numbers(nums: list[tuple[Decimal, Word, bool]]) -> list[tuple[Decimal, Word, bool]]:
    """Join "75" + "974,00" printed with a grouping space (words split by the OCR)."""
    merged: list[tuple[Decimal, Word, bool]] = []
    for value, word, dec in nums:
        if merged:
            pv, pw, pdec = merged[-1]
            gap = word.bbox[0] - pw.bbox[2]
            height = max(word.bbox[3] - word.bbox[1], 1.0)
            if not pdec and re.fullmatch(r"\d{1,3}", pw.text.strip()) and re.match(r"\d{3}[.,]\d{2}$", word.text.strip()) and gap < 0.6 * height:
                joined = parse_amount(pw.text.strip() + word.text.strip())
                if joined is not None:
                    box = (pw.bbox[0], min(pw.bbox[1], word.bbox[1]), word.bbox[2], max(pw.bbox[3], word.bbox[3]))
                    merged[-1] = (joined, Word(pw.text + " " + word.text, box, word.confidence), True)
                    continue
        merged.append((value, word, dec))
    return merged


def _assign(nums: list[tuple[Decimal, Word, bool]], columns: dict[str, tuple[float, float]]) -> dict[str, Decimal]:
    """Map numbers to quantity / unit_price / amount: arithmetic first, then header positions."""
    values = [n[0] for n in nums]
    if len(values) >= 3:
        for i, j, k in sorted(combinations(range(len(values)), 3), key=lambda t: (-t[2], -t[1], -t[0])):
            q, p, a = values[i], values[j], values[k]
            if q > 0 and p != 0 and abs(q * p - a) <= max(Decimal("0.01"), abs(a) * Decimal("0.005")):
                return {"quantity": q, "unit_price": p, "amount": a}
    result: dict[str, Decimal] = {}
    if columns:
        for value, word, _ in nums:
            cx = (word.bbox[0] + word.bbox[2]) / 2
            best, best_d = None, None
            for name, (x1, x2) in columns.items():
                if name == "description":
                    continue
                d = 0.0 if x1 - 5 <= cx <= x2 + 5 else min(abs(cx - x1), abs(cx - x2))
                if best_d is None or d < best_d:
                    best, best_d = name, d
            if best:
                result[best] = value  # rightmost wins for repeated columns
        if "amount" in result:
            return result
    if not values:
        return {}
    result = {"amount": values[-1]}
    if len(values) >= 2:
        first = nums[-2]
        if not first[2] and first[0] == first[0].to_integral_value() and 0 < first[0] < 1000 and len(values) == 2:
            result["quantity"] = first[0]
        else:
            result["unit_price"] = first[0]
    if len(values) >= 3 and "unit_price" in result:
        result["quantity"] = values[-3]
    return result


def _description(row: Row, nums: list[tuple[Decimal, Word, bool]], columns: dict[str, tuple[float, float]]) -> str:
    numeric_ids = {id(w) for _, w, _ in nums}
    first_num_x = min((w.bbox[0] for _, w, _ in nums), default=float("inf"))
    qty_x = columns.get("quantity", (float("inf"), 0))[0]
    limit = min(first_num_x, qty_x if qty_x > 0 else float("inf"))
    words = [w for seg in row.segs for w in seg.line.words if id(w) not in numeric_ids and w.bbox[2] <= limit + 2]
    text = " ".join(w.text for w in sorted(words, key=lambda w: w.bbox[0]))
    return re.sub(r"\s+", " ", text).strip(" :-|")


def extract_line_items(layout: PageLayout, found: dict[str, ExtractedField]) -> list[LineItem]:
    items: list[LineItem] = []
    rows = layout.rows
    i = 0
    while i < len(rows):
        columns = _header_columns(rows[i])
        if not columns:
            i += 1
            continue
        header_row = rows[i]
        i += 1
        pending_desc: list[str] = []
        last_item: Optional[LineItem] = None
        while i < len(rows) and rows[i].page == header_row.page:
            row = rows[i]
            if _is_stop(row) or _header_columns(row):
                break
            nums = _merge_split_numbers(_numeric_words(row))
            numeric_starts = [x1 for name, (x1, _) in columns.items() if name != "description"]
            if numeric_starts:  # numbers left of every numeric column belong to the description ("box of 5")
                nums = [n for n in nums if n[1].bbox[2] >= min(numeric_starts) - 2]
            money = [n for n in nums if n[2]]
            desc = _description(row, nums, columns)
            if money:
                assigned = _assign(nums if len(nums) <= 6 else money, columns)
                if desc and pending_desc and last_item is None:
                    desc = " ".join(pending_desc + [desc])
                elif not desc and pending_desc:
                    desc = " ".join(pending_desc)
                pending_desc = []
                item = _make_item(desc, assigned, row)
                if item is not None:
                    items.append(item)
                    last_item = item
            elif desc:
                gap_ok = last_item is not None and last_item.bbox is not None and row.top - last_item.bbox[3] < 1.5 * layout.line_height
                if gap_ok and last_item is not None and not nums:
                    last_item.description = f"{last_item.description} {desc}".strip() if last_item.description else desc
                else:
                    pending_desc.append(desc)
                    last_item = None
            i += 1
        if items:
            break
    return items


def _make_item(desc: str, assigned: dict[str, Decimal], row: Row) -> Optional[LineItem]:
    if "amount" not in assigned:
        return None
    checks = 0
    q, p, a = assigned.get("quantity"), assigned.get("unit_price"), assigned.get("amount")
    if q is not None and p is not None and a is not None and abs(q * p - a) <= max(Decimal("0.01"), abs(a) * Decimal("0.005")):
        checks = 1
    box = (
        min(s.bbox[0] for s in row.segs),
        min(s.bbox[1] for s in row.segs),
        max(s.bbox[2] for s in row.segs),
        max(s.bbox[3] for s in row.segs),
    )
    return LineItem(
        description=desc or None,
        quantity=format_quantity(q) if q is not None else None,
        unit_price=format_amount(p) if p is not None else None,
        amount=format_amount(a) if a is not None else None,
        confidence=0.85 if checks else (0.6 if desc else 0.4),
        page=row.page,
        bbox=[round(float(v), 1) for v in box],
    )
