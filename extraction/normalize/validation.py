"""Arithmetic checks over extracted fields: do the numbers on the document add up?

Used in the output (``validation``) so a caller can trust or flag a result, and by the rules
extractor to choose among candidate amounts.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Optional, Sequence

from extraction.schema import ValidationCheck

#: Header equation tolerance: cash rounding (e.g. to 0.05) and per-line rounding of tax.
HEADER_TOLERANCE = Decimal("0.05")
LINE_TOLERANCE = Decimal("0.01")


def to_decimal(value: Any) -> Optional[Decimal]:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    raw = getattr(value, "value", value)  # ExtractedField or plain value
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None


def _check(name: str, expected: Decimal, actual: Decimal, tolerance: Decimal) -> ValidationCheck:
    return ValidationCheck(
        name=name,
        passed=abs(expected - actual) <= tolerance,
        expected=str(expected.quantize(Decimal("0.01"))),
        actual=str(actual.quantize(Decimal("0.01"))),
        tolerance=str(tolerance),
    )


def header_check(fields: Mapping[str, Any]) -> Optional[ValidationCheck]:
    subtotal, total = to_decimal(fields.get("subtotal")), to_decimal(fields.get("total"))
    if subtotal is None or total is None:
        return None
    tax = to_decimal(fields.get("tax")) or Decimal(0)
    tip = to_decimal(fields.get("tip")) or Decimal(0)
    discount = abs(to_decimal(fields.get("discount")) or Decimal(0))
    tolerance = max(HEADER_TOLERANCE, total.copy_abs() * Decimal("0.0005"))
    return _check("subtotal + tax + tip - discount = total", total, subtotal + tax + tip - discount, tolerance)


def line_sum_check(fields: Mapping[str, Any], line_items: Sequence[Any]) -> Optional[ValidationCheck]:
    amounts = [to_decimal(getattr(item, "amount", None)) for item in line_items]
    amounts = [a for a in amounts if a is not None]
    if not amounts:
        return None
    subtotal = to_decimal(fields.get("subtotal"))
    target_name, target = ("subtotal", subtotal) if subtotal is not None else ("total", to_decimal(fields.get("total")))
    if target is None:
        return None
    tolerance = LINE_TOLERANCE * max(1, len(amounts)) if target_name == "subtotal" else HEADER_TOLERANCE
    if target_name == "total":
        # without a subtotal, tax and discount printed outside the lines still belong in the sum
        tax = to_decimal(fields.get("tax")) or Decimal(0)
        discount = abs(to_decimal(fields.get("discount")) or Decimal(0))
        actual = sum(amounts, Decimal(0))
        if abs(actual - target) > tolerance and tax:
            actual = actual + tax - discount
        return _check(f"sum of line item amounts = {target_name}", target, actual, tolerance)
    return _check(f"sum of line item amounts = {target_name}", target, sum(amounts, Decimal(0)), tolerance)


def line_checks(line_items: Sequence[Any]) -> list[ValidationCheck]:
    checks = []
    for index, item in enumerate(line_items, start=1):
        qty = to_decimal(getattr(item, "quantity", None))
        price = to_decimal(getattr(item, "unit_price", None))
        amount = to_decimal(getattr(item, "amount", None))
        if qty is None or price is None or amount is None:
            continue
        tolerance = max(LINE_TOLERANCE, (qty * price).copy_abs() * Decimal("0.005"))
        checks.append(_check(f"line {index}: quantity x unit_price = amount", amount, qty * price, tolerance))
    return checks


def date_check(fields: Mapping[str, Any]) -> Optional[ValidationCheck]:
    issued, due = fields.get("date"), fields.get("due_date")
    issued = getattr(issued, "value", issued)
    due = getattr(due, "value", due)
    if not issued or not due:
        return None
    return ValidationCheck(name="due_date >= date", passed=str(due) >= str(issued), expected=f">= {issued}", actual=str(due))


def run_checks(fields: Mapping[str, Any], line_items: Sequence[Any]) -> list[ValidationCheck]:
    """Every check the extracted values allow (a check needs all of its operands).

    ``fields`` maps names to :class:`~extraction.schema.ExtractedField` (or plain values);
    amounts are the normalised decimal strings.
    """
    checks: list[ValidationCheck] = []
    for check in (header_check(fields), line_sum_check(fields, line_items)):
        if check is not None:
            checks.append(check)
    checks.extend(line_checks(line_items))
    check = date_check(fields)
    if check is not None:
        checks.append(check)
    return checks
