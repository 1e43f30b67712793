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
from typing import Optional

from extraction.extractors.layout.labels import classify
from extraction.extractors.layout.lexicon import cue_pattern, fold
from extraction.extractors.layout.rows import PageLayout, Row, span_bbox
from extraction.extractors.layout.table_header import header_columns
from extraction.layout import Word, round_box
from extraction.normalize.dates import find_dates
from extraction.normalize.numbers import find_amounts, format_amount, format_quantity, parse_amount
from extraction.schema import ExtractedField, LineItem


def _is_stop(row: Row) -> bool:
    """A totals row ends the table; a tax rate inside an item row ("8,00 TVA 20%") does not."""
    texts_before = 0
    for seg in row.segs:
        if seg.text.strip()[:1].isdigit() or seg.text.strip()[:1] in "€$£":
            continue
        cls, _ = classify(seg)
        if cls in ("total", "subtotal", "paid", "change", "rounding"):
            return True
        if cls == "tax" and texts_before == 0 and any(ch.isdigit() for ch in row.text):
            return True  # a tax line with its amount; a bare "MwSt." is a header's second line
        if sum(ch.isalpha() for ch in seg.text) >= 3:
            texts_before += 1
    return False


_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,2})?)\s?%")


def _row_rates(row: Row, tax_values: list[Decimal]) -> list[Decimal]:
    rates = [Decimal(m.group(1).replace(",", ".")) for m in _RATE.finditer(row.text)]
    return rates + [v for v in tax_values if 0 < v < 100]


def _numeric_words(row: Row) -> list[tuple[Decimal, Word, bool]]:
    """(value, pseudo-word with the number's box, has_decimals) for every number printed in the row.

    Read per segment so that grouped numbers split into several OCR words ("€ 10 200,00") stay
    one number; percentages (tax rates) and digits glued to letters ("A4") are left out.
    """
    found = []
    for seg in row.segs:
        text = seg.text
        # dates and periods ("01.05.14-31.05.14") are not quantities or prices; spans index the
        # folded text, which has the line's length unless compatibility characters expanded
        dates = [(d.start, d.end) for d in find_dates(text)] if len(fold(text)) == len(text) else []
        for amount in find_amounts(text):
            start = amount.start + (len(amount.text) - len(amount.text.lstrip()))
            if any(d0 < amount.end and start < d1 for d0, d1 in dates):
                continue
            if start > 0 and text[start - 1].isalpha() and text[start - 1] not in "x":
                continue
            if amount.end < len(text) and (text[amount.end].isalpha() and not _unit_follows(text, amount.end)):
                continue
            if text[amount.end : amount.end + 2].lstrip().startswith("%"):
                continue
            box = span_bbox(seg, start, amount.end)
            found.append((amount.value, Word(text[start : amount.end], box, seg.line.confidence), amount.has_decimals))
    return found


_UNIT_AFTER = re.compile(rf"\s?(?:{cue_pattern('quantity_units')})\b", re.IGNORECASE)


def _unit_follows(text: str, end: int) -> bool:
    return bool(_UNIT_AFTER.match(text, end))


def _nearest_column(word: Word, columns: dict[str, tuple[float, float]]) -> Optional[str]:
    cx = (word.bbox[0] + word.bbox[2]) / 2
    best, best_d = None, None
    for name, (x1, x2) in columns.items():
        if name == "description":
            continue
        d = 0.0 if x1 - 5 <= cx <= x2 + 5 else min(abs(cx - x1), abs(cx - x2))
        if best_d is None or d < best_d:
            best, best_d = name, d
    return best


def _triple(nums: list[tuple[Decimal, Word, bool]], columns: Optional[dict[str, tuple[float, float]]] = None) -> Optional[dict[str, Decimal]]:
    """Two numbers whose product is a third one printed to their right: quantity x unit price = amount.

    Quantity and unit price may come in either order ("PU | QTE"); the header decides which is
    which, else the whole number without decimals is the quantity.
    """
    values = [n[0] for n in nums]
    if len(values) < 3 or len(values) > 8:
        return None
    for i, j, k in sorted(combinations(range(len(values)), 3), key=lambda t: (-t[2], -t[1], -t[0])):
        x, y, a = values[i], values[j], values[k]
        if x > 0 and y != 0 and a != 0 and abs(x * y - a) <= max(Decimal("0.01"), abs(a) * Decimal("0.005")):
            q, p = x, y
            if columns and _nearest_column(nums[j][1], columns) == "quantity" and _nearest_column(nums[i][1], columns) != "quantity":
                q, p = y, x
            elif not columns and nums[j][0] == nums[j][0].to_integral_value() and not nums[j][2] and nums[i][2]:
                q, p = y, x
            return {"quantity": q, "unit_price": p, "amount": a}
    return None


def _assign(nums: list[tuple[Decimal, Word, bool]], columns: dict[str, tuple[float, float]]) -> dict[str, Decimal]:
    """Map numbers to quantity / unit_price / amount: arithmetic first, then header positions."""
    values = [n[0] for n in nums]
    triple = _triple(nums, columns)
    if triple is not None:
        return triple
    result: dict[str, Decimal] = {}
    if columns:
        for value, word, _ in nums:
            best = _nearest_column(word, columns)
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


def _description(
    row: Row, nums: list[tuple[Decimal, Word, bool]], columns: dict[str, tuple[float, float]], span: Optional[tuple[float, float]]
) -> tuple[str, float]:
    """The row's description text and its left edge (``span``: a description column right of the quantity)."""
    if span is not None:
        # "Pos | Menge | Beschreibung | Preis": the text between the quantity and price columns
        words = sorted((w for seg in row.segs for w in seg.line.words if w.bbox[0] >= span[0] - 2 and w.bbox[2] <= span[1] + 2), key=lambda w: w.bbox[0])
        text = re.sub(r"\s+", " ", " ".join(w.text for w in words)).strip(" :-|")
        return text, (words[0].bbox[0] if words else float("inf"))
    numeric_ids = {id(w) for _, w, _ in nums}
    first_num_x = min((w.bbox[0] for _, w, _ in nums), default=float("inf"))
    qty_x = columns.get("quantity", (float("inf"), 0))[0]
    limit = min(first_num_x, qty_x if qty_x > 0 else float("inf"))
    desc_x1 = columns.get("description", (None, None))[0]
    segs = [s for s in row.segs if s.bbox[0] < limit]
    if desc_x1 is not None and len(segs) > 1:
        # keep the block of text under the description header; a reference column or another
        # block printed on the same line (an address beside the table) is separated by a gap
        x1, x2 = columns["description"]
        clusters: list[list] = [[segs[0]]]
        for seg in segs[1:]:
            if seg.bbox[0] - clusters[-1][-1].bbox[2] > 2 * seg.height:
                clusters.append([seg])
            else:
                clusters[-1].append(seg)

        def distance(cluster: list) -> float:
            left, right = cluster[0].bbox[0], cluster[-1].bbox[2]
            return max(0.0, left - x2, x1 - right)

        segs = min(clusters, key=distance)
    words = sorted((w for seg in segs for w in seg.line.words if id(w) not in numeric_ids and w.bbox[2] <= limit + 2), key=lambda w: w.bbox[0])
    if desc_x1 is not None:
        words = _within_description_column(words, desc_x1)
    while words and _PERCENT_WORD.fullmatch(words[-1].text):
        words = words[:-1]  # "Kontorstol 25 %": a tax-rate column printed before the numbers
    text = " ".join(w.text for w in words)
    left = words[0].bbox[0] if words else float("inf")
    return re.sub(r"\s+", " ", text).strip(" :-|"), left


_PERCENT_WORD = re.compile(r"\d{1,2}(?:[.,]\d{1,2})?\s?%|%")


def _within_description_column(words: list[Word], desc_x1: float) -> list[Word]:
    """The row's words without a leading cell of another column: one or two words that end
    before the description's title begins, followed by a word that starts where the title does
    (a left-aligned description column) or after a column gap ("kotak" in a unit column, an
    article number), and a position number before it. A description merely wider than its
    centred title has neither, and stays whole."""
    if words and re.fullmatch(r"#?\d{1,3}[.)]?", words[0].text) and words[0].bbox[2] < desc_x1:
        words = words[1:]  # a position-number column
    gaps = [b.bbox[0] - a.bbox[2] for a, b in zip(words, words[1:])]
    for cut in (1, 2):  # a cell of one or two words ("kotak", "Art. 96734")
        if len(words) <= cut:
            break
        last, following = words[cut - 1], words[cut]
        height = max(last.bbox[3] - last.bbox[1], 1.0)
        gap = gaps[cut - 1]
        others = sorted(g for i, g in enumerate(gaps) if i != cut - 1)
        wider = bool(others) and gap > 1.5 * max(others[len(others) // 2], 1.0)  # wider than the row's word gaps
        aligned = abs(following.bbox[0] - desc_x1) <= 3  # the description starts where its title does
        if last.bbox[2] < desc_x1 - 2 and ((cut == 1 and aligned and wider) or gap > 1.5 * height):
            return words[cut:]
    return words


def _description_right_of_quantity(columns: dict[str, tuple[float, float]]) -> Optional[tuple[float, float]]:
    """The x-span of a description column printed right of the quantity column, else None."""
    if "description" not in columns or "quantity" not in columns:
        return None
    d1 = columns["description"][0]
    q2 = columns["quantity"][1]
    if d1 < q2 - 2:
        return None
    right = [x1 for name, (x1, _) in columns.items() if name not in ("description", "quantity") and x1 > d1]
    return (q2 + 1, min(right) - 1) if right else None


def extract_line_items(layout: PageLayout, found: dict[str, ExtractedField]) -> list[LineItem]:
    items: list[LineItem] = []
    rows = layout.rows
    i = 0
    table_page: Optional[int] = None
    while i < len(rows):
        if table_page is not None and rows[i].page <= table_page:
            i += 1  # after a table, only its continuation on a later page counts (not a tax summary)
            continue
        columns = header_columns(rows[i])
        if not columns:
            i += 1
            continue
        header_row = rows[i]
        i += 1
        pending_desc: list[str] = []
        last_item: Optional[LineItem] = None
        last_bottom = 0.0  # bottom of the last item's last row (its continuation lines included)
        last_left = float("inf")
        desc_span = _description_right_of_quantity(columns)
        while i < len(rows) and rows[i].page == header_row.page:
            row = rows[i]
            if _is_stop(row) or header_columns(row):
                break
            nums = _numeric_words(row)
            numeric_starts = [x1 for name, (x1, _) in columns.items() if name != "description"]
            if numeric_starts:  # numbers left of every numeric column belong to the description ("box of 5")
                nums = [n for n in nums if n[1].bbox[2] >= min(numeric_starts) - 2]
            if desc_span is not None:  # numbers inside the description ("Exchange 2010") are text
                nums = [n for n in nums if not desc_span[0] <= (n[1].bbox[0] + n[1].bbox[2]) / 2 <= desc_span[1]]
            tax_values: list[Decimal] = []
            if "tax" in columns:  # tax-rate / discount columns: keep their numbers out of qty/price/amount
                kept = []
                for n in nums:
                    if _nearest_column(n[1], columns) == "tax":
                        tax_values.append(n[0])
                    else:
                        kept.append(n)
                # unless only they make the line's arithmetic work (a "Taux" column that is the unit rate)
                if _triple(kept) is None and _triple(nums) is not None:
                    kept, tax_values = nums, []
                nums = kept
            money = [n for n in nums if n[2]]
            desc, desc_left = _description(row, nums, columns, desc_span)
            if money:
                assigned = _assign(nums if len(nums) <= 6 else money, columns)
                if desc and pending_desc and last_item is None:
                    desc = " ".join(pending_desc + [desc])
                elif not desc and pending_desc:
                    desc = " ".join(pending_desc)
                pending_desc = []
                assigned = _net_of_tax(assigned, _row_rates(row, tax_values))
                desc, assigned = _leading_quantity(desc, assigned)
                item = _make_item(desc, assigned, row)
                if item is not None:
                    items.append(item)
                    last_item = item
                    last_bottom = row.bottom
                    last_left = desc_left
            elif desc:
                gap_ok = last_item is not None and row.top - last_bottom < 1.5 * layout.line_height
                aligned = abs(desc_left - last_left) < 3 * layout.line_height
                if not aligned and last_item is not None:
                    i += 1
                    continue  # text of another block beside the table
                if gap_ok and last_item is not None and not nums:
                    last_item.description = f"{last_item.description} {desc}".strip() if last_item.description else desc
                    last_bottom = row.bottom
                else:
                    pending_desc.append(desc)
                    last_item = None
            i += 1
        if items:
            table_page = header_row.page
    return repair_items(items, found)


def _consistent(q: Decimal, p: Decimal, a: Decimal) -> bool:
    return abs(q * p - a) <= max(Decimal("0.01"), abs(a) * Decimal("0.005"))


def repair_items(items: list[LineItem], found: dict[str, ExtractedField]) -> list[LineItem]:
    """Fix one misread number per line when the arithmetic proves the correction.

    A line whose ``quantity x unit_price`` disagrees with its amount is corrected only when the
    corrected line makes all line amounts add up to the subtotal (or when ``amount / unit_price``
    is a whole quantity and the printed quantity is not); corrected lines get lower confidence.
    """
    subtotal = found.get("subtotal")
    target = Decimal(str(subtotal.value)) if subtotal is not None else None
    amounts = [Decimal(i.amount) if i.amount else None for i in items]
    total_now = sum((a for a in amounts if a is not None), Decimal(0))
    for index, item in enumerate(items):
        if not (item.quantity and item.unit_price and item.amount):
            continue
        q, p, a = Decimal(item.quantity), Decimal(item.unit_price), Decimal(item.amount)
        if _consistent(q, p, a):
            continue
        if target is not None and abs(total_now - a + q * p - target) <= Decimal("0.01"):
            item.amount = format_amount(q * p)
            total_now = total_now - a + q * p
            item.confidence = 0.5
            continue
        if p != 0:
            implied = a / p
            if implied == implied.to_integral_value() and 0 < implied < 100000:
                item.quantity = format_quantity(implied)
                item.confidence = 0.5
    return items


_LEADING_QTY = re.compile(r"^(\d{1,3}(?:[.,]\d{1,3})?)\s*([xX×*]\s*)?(?=\S)(.*)$")


def _leading_quantity(desc: str, assigned: dict[str, Decimal]) -> tuple[str, dict[str, Decimal]]:
    """"2 CROISSANT 3.50 7.00": a count printed before the description is the quantity.

    Taken only when the arithmetic agrees (count x unit price = amount) or when it is written
    as a multiplier ("2 x Coffee"), so item names that start with a number stay intact.
    """
    if "quantity" in assigned:
        return desc, assigned
    m = _LEADING_QTY.match(desc)
    if m is None or not m.group(3).strip() or not re.match(r"[^\d\s]", m.group(3)):
        return desc, assigned
    count = parse_amount(m.group(1))
    if count is None or count <= 0:
        return desc, assigned
    price, amount = assigned.get("unit_price"), assigned.get("amount")
    proven = price is not None and amount is not None and abs(count * price - amount) <= max(Decimal("0.01"), abs(amount) * Decimal("0.005"))
    if proven or m.group(2):
        return m.group(3).strip(), {**assigned, "quantity": count}
    return desc, assigned


def _net_of_tax(assigned: dict[str, Decimal], rates: list[Decimal]) -> dict[str, Decimal]:
    """When the printed line amount includes tax (q x p x (1 + rate) = amount), report the net q x p.

    Why: the line amounts should add up to the subtotal (net), which is what validation checks.
    """
    q, p, a = assigned.get("quantity"), assigned.get("unit_price"), assigned.get("amount")
    if q is None or p is None or a is None or abs(q * p - a) <= max(Decimal("0.01"), abs(a) * Decimal("0.005")):
        return assigned
    for rate in rates:
        gross = q * p * (1 + rate / 100)
        if abs(gross - a) <= max(Decimal("0.02"), abs(a) * Decimal("0.002")):
            return {**assigned, "amount": (q * p).quantize(Decimal("0.01"))}
    return assigned


def _make_item(desc: str, assigned: dict[str, Decimal], row: Row) -> Optional[LineItem]:
    if "amount" not in assigned:
        return None
    checks = 0
    q, p, a = assigned.get("quantity"), assigned.get("unit_price"), assigned.get("amount")
    if q is not None and p is not None and a is not None and abs(q * p - a) <= max(Decimal("0.01"), abs(a) * Decimal("0.005")):
        checks = 1
    return LineItem(
        description=desc or None,
        quantity=format_quantity(q) if q is not None else None,
        unit_price=format_amount(p) if p is not None else None,
        amount=format_amount(a) if a is not None else None,
        confidence=0.85 if checks else (0.6 if desc else 0.4),
        page=row.page,
        bbox=round_box(row.bbox),
    )
