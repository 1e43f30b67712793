"""Arithmetic checks: pass and fail with tolerance."""

import pytest

from extraction.normalize.validation import run_checks
from extraction.schema import ExtractedField, LineItem


def f(value: str) -> ExtractedField:
    return ExtractedField(value=value, text=value, confidence=0.9)


def by_name(checks):
    return {c.name: c for c in checks}


def test_header_equation_passes_and_fails() -> None:
    ok = by_name(run_checks({"subtotal": f("100.00"), "tax": f("20.00"), "total": f("120.00")}, []))
    assert ok["subtotal + tax + tip - discount = total"].passed
    bad = by_name(run_checks({"subtotal": f("100.00"), "tax": f("20.00"), "total": f("125.00")}, []))
    check = bad["subtotal + tax + tip - discount = total"]
    assert not check.passed and check.expected == "125.00" and check.actual == "120.00"


def test_header_equation_uses_tip_and_discount_and_tolerates_cash_rounding() -> None:
    fields = {"subtotal": f("10.00"), "tip": f("2.00"), "discount": f("1.00"), "total": f("11.03")}
    assert by_name(run_checks(fields, []))["subtotal + tax + tip - discount = total"].passed
    fields["total"] = f("11.20")
    assert not by_name(run_checks(fields, []))["subtotal + tax + tip - discount = total"].passed


def test_line_items_sum_to_subtotal_else_total() -> None:
    items = [LineItem(description="a", quantity="2", unit_price="3.50", amount="7.00"), LineItem(description="b", amount="4.80")]
    checks = by_name(run_checks({"subtotal": f("11.80")}, items))
    assert checks["sum of line item amounts = subtotal"].passed
    assert checks["line 1: quantity x unit_price = amount"].passed
    checks = by_name(run_checks({"total": f("12.00")}, items))
    assert not checks["sum of line item amounts = total"].passed


def test_quantity_times_price_mismatch_fails() -> None:
    items = [LineItem(quantity="3", unit_price="2.00", amount="7.00")]
    assert not run_checks({}, items)[0].passed


@pytest.mark.parametrize(("issued", "due", "passed"), [("2015-04-04", "2015-06-03", True), ("2015-04-04", "2015-04-01", False)])
def test_due_date_after_date(issued: str, due: str, passed: bool) -> None:
    assert by_name(run_checks({"date": f(issued), "due_date": f(due)}, []))["due_date >= date"].passed is passed


def test_no_operands_no_checks() -> None:
    assert run_checks({"total": f("1.00")}, []) == []
