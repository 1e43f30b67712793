"""What a synthetic document says: parties, numbers, dates, items, and arithmetic that adds up.

Content is drawn first and laid out afterwards, so the truth (``truth()``) never depends on
how a layout prints it; a layout only records which optional fields it printed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

from builder.synth.locales import Locale, Money, digits, money_round

#: Currencies whose cash totals are rounded, and to what step.
CASH_ROUNDING = {"MYR": Decimal("0.05"), "DKK": Decimal("0.50"), "SEK": Decimal("1.00"), "CHF": Decimal("0.05")}


@dataclass
class Party:
    name: str
    address: list[str]
    tax_id: Optional[str] = None
    phone: Optional[str] = None
    iban: Optional[str] = None
    bic: Optional[str] = None


@dataclass
class Item:
    description: list[str]  # printed lines (the first is the name)
    quantity: Decimal
    unit: str
    unit_price: Decimal
    tax_rate: Decimal
    discount_pct: Decimal = Decimal(0)

    @property
    def amount(self) -> Decimal:
        return money_round(self.quantity * self.unit_price * (1 - self.discount_pct / 100))


@dataclass
class TaxLine:
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass
class Content:
    kind: str  # invoice | receipt
    locale: Locale
    money: Money
    vendor: Party
    customer: Optional[Party]
    number: str
    date: dt.date
    items: list[Item]
    prices_include_tax: bool
    po_number: Optional[str] = None
    customer_number: Optional[str] = None
    due_date: Optional[dt.date] = None
    delivery_date: Optional[dt.date] = None
    time: Optional[str] = None
    discount: Decimal = Decimal(0)
    tip: Decimal = Decimal(0)
    payment: Optional[str] = None  # cash | card | bank_transfer
    tendered: Optional[Decimal] = None
    printed: set[str] = field(default_factory=set)  # optional fields the layout printed

    # ------------------------------------------------------------------ arithmetic

    @property
    def subtotal(self) -> Decimal:
        """Sum of the line amounts (net, or gross when prices include tax)."""
        return sum((i.amount for i in self.items), Decimal(0))

    @property
    def tax_lines(self) -> list[TaxLine]:
        by_rate: dict[Decimal, Decimal] = {}
        for item in self.items:
            by_rate[item.tax_rate] = by_rate.get(item.tax_rate, Decimal(0)) + item.amount
        share = (self.subtotal - self.discount) / self.subtotal if self.subtotal else Decimal(1)
        lines = []
        for rate, amount in sorted(by_rate.items(), reverse=True):
            amount = money_round(amount * share)
            if self.prices_include_tax:
                base = money_round(amount / (1 + rate / 100))
                lines.append(TaxLine(rate, base, amount - base))
            else:
                lines.append(TaxLine(rate, amount, money_round(amount * rate / 100)))
        return lines

    @property
    def tax(self) -> Decimal:
        return sum((t.tax for t in self.tax_lines), Decimal(0))

    @property
    def net(self) -> Decimal:
        return sum((t.base for t in self.tax_lines), Decimal(0))

    @property
    def gross(self) -> Decimal:
        """The total before any cash rounding."""
        if self.prices_include_tax:
            return self.subtotal - self.discount + self.tip
        return self.subtotal - self.discount + self.tax + self.tip

    @property
    def rounding(self) -> Decimal:
        step = CASH_ROUNDING.get(self.money.code)
        if step is None or self.kind != "receipt" or self.payment != "cash":
            return Decimal(0)
        rounded = (self.gross / step).quantize(Decimal(1), rounding="ROUND_HALF_UP") * step
        return money_round(rounded - self.gross)

    @property
    def total(self) -> Decimal:
        return self.gross + self.rounding

    @property
    def change(self) -> Optional[Decimal]:
        return None if self.tendered is None else self.tendered - self.total

    # ------------------------------------------------------------------ truth

    def truth(self) -> dict[str, Any]:
        """Canonical manifest fields of what the layout printed (see docs/evaluation.md)."""
        fields: dict[str, Any] = {
            "vendor_name": self.vendor.name,
            "vendor_address": " ".join(self.vendor.address),
            "date": self.date.isoformat(),
            "currency": self.money.code,
            "total": f"{self.total:.2f}",
        }
        if self.kind == "invoice" or "invoice_number" in self.printed:
            fields["invoice_number"] = self.number
        optional = {
            "vendor_tax_id": self.vendor.tax_id,
            "po_number": self.po_number,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "time": self.time,
            "subtotal": f"{(self.net if self.prices_include_tax else self.subtotal):.2f}",
            "tax": f"{self.tax:.2f}",
            "discount": f"{self.discount:.2f}" if self.discount else None,
            "tip": f"{self.tip:.2f}" if self.tip else None,
            "payment_method": self.payment,
        }
        for name, value in optional.items():
            if name in self.printed and value is not None:
                fields[name] = value
        fields["line_items"] = [
            {
                "description": " ".join(item.description),
                "quantity": str(item.quantity.normalize()) if item.quantity != item.quantity.to_integral_value() else str(int(item.quantity)),
                "unit_price": f"{item.unit_price:.2f}",
                "amount": f"{item.amount:.2f}",
            }
            for item in self.items
        ]
        return fields


# ---------------------------------------------------------------------- drawing content


def _party(locale: Locale, rng: random.Random, *, with_bank: bool) -> Party:
    spec = locale.spec
    name = f"{rng.choice(spec['names'])} {rng.choice(spec['company_words'])}"
    if rng.random() < 0.85:
        name += f" {rng.choice(spec['suffixes'])}"
    street = rng.choice(spec["streets"]).format(n=rng.randint(1, 240), s=rng.randint(1, 12), t=rng.randint(1, 9), Name=rng.choice(spec["street_names"]))
    city, postcode = rng.choice(spec["cities"])
    address = [street, spec["city_line"].format(city=city, postcode=postcode)]
    party = Party(name=name, address=address, tax_id=digits(spec["tax_id"], rng), phone=digits(spec["phone"], rng))
    if with_bank:
        party.iban = f"{locale.country if locale.country != 'US' else 'GB'}{rng.randint(10, 99)} " + " ".join(digits("{4}", rng) for _ in range(4))
        party.bic = "".join(rng.choice("ABCDEFGHKLMNPRSTUVWZ") for _ in range(4)) + locale.country + "".join(rng.choice("ABCDEFGHKLMNPRSTUVWZ23456789") for _ in range(2))
    return party


_NUMBER_SHAPES = ["INV-{Y}-{4}", "RE-{Y}{3}", "FA{Y}/{4}", "F-{6}", "{Y}-{3}", "{Y}{5}", "A{2}/{Y}/{4}", "{7}"]
_PO_SHAPES = ["PO-{4}", "BC0{4}", "45000{5}", "ORD-{6}", "{5}/{2}"]
_RECEIPT_SHAPES = ["{6}", "R-{5}", "0012-{4}", "T{7}", "{4}/{3}"]


def _shape(shapes: list[str], rng: random.Random, year: int) -> str:
    return digits(rng.choice(shapes).replace("{Y}", str(year)), rng)


def _price(rng: random.Random, low: float, high: float) -> Decimal:
    value = Decimal(str(round(low * (high / low) ** rng.random(), 2)))
    if rng.random() < 0.35:
        value = value.to_integral_value()
    return max(value, Decimal("0.10"))


def _items(locale: Locale, rng: random.Random, kind: str, count: int, rates: list[Decimal]) -> list[Item]:
    items = []
    units = locale.units()
    for _ in range(count):
        if kind == "receipt":
            name = rng.choice(locale.items("receipt"))
            quantity = Decimal(rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 6]))
            items.append(Item([name], quantity, "", _price(rng, 0.5, 25), rates[0] if rng.random() < 0.7 else rates[-1]))
            continue
        service = rng.random() < 0.4
        name = rng.choice(locale.items("services" if service else "goods"))
        lines = [name]
        if rng.random() < 0.25:
            lines.append(digits(rng.choice(["Art. {5}", "SKU {6}", "Ref. {4}-{2}", "#{5}"]), rng))
        quantity = Decimal(rng.choice(["1", "1", "2", "3", "4", "5", "10", "12", "25"])) if not service else Decimal(rng.choice(["1", "2", "4", "7.5", "2.5", "8", "16"]))
        unit = units[1] if service else rng.choice([units[0], units[2], units[3]])
        rate = rates[0] if rng.random() < 0.8 else rates[-1]
        items.append(Item(lines, quantity, unit, _price(rng, 2, 1800 if service else 400), rate))
    return items


def draw_content(kind: str, locale: Locale, rng: random.Random) -> Content:
    """One document's content, every number consistent with the others."""
    money = locale.money(rng)
    rates = [Decimal(r.replace(",", ".")) for r in locale.spec["tax_rates"]]
    date = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3650))
    if kind == "invoice":
        count = rng.randint(16, 42) if rng.random() < 0.15 else rng.randint(1, 12)
        content = Content(
            kind=kind,
            locale=locale,
            money=money,
            vendor=_party(locale, rng, with_bank=True),
            customer=_party(locale, rng, with_bank=False),
            number=_shape(_NUMBER_SHAPES, rng, date.year),
            date=date,
            items=_items(locale, rng, kind, count, rates),
            prices_include_tax=False,
            po_number=_shape(_PO_SHAPES, rng, date.year),
            customer_number=digits(rng.choice(["K-{5}", "{6}", "C{4}"]), rng),
            due_date=date + dt.timedelta(days=rng.choice([7, 10, 14, 21, 30, 45, 60])),
            delivery_date=date - dt.timedelta(days=rng.randint(0, 10)),
            payment="bank_transfer",
        )
        if rng.random() < 0.15:
            content.items = [Item(i.description, i.quantity, i.unit, i.unit_price, rates[0]) for i in content.items]
            content.discount = money_round(content.subtotal * Decimal(rng.choice([2, 3, 5, 10])) / 100)
        if rng.random() < 0.12:
            for item in content.items:
                item.discount_pct = Decimal(rng.choice([0, 5, 10, 15]))
        return content
    european = locale.country not in ("US", "MY")
    content = Content(
        kind=kind,
        locale=locale,
        money=money,
        vendor=_party(locale, rng, with_bank=False),
        customer=None,
        number=_shape(_RECEIPT_SHAPES, rng, date.year),
        date=date,
        items=_items(locale, rng, kind, rng.randint(1, 14), rates if european else [rng.choice(rates)]),
        prices_include_tax=european,
        time=f"{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}",
        payment="cash" if rng.random() < 0.6 else "card",
    )
    if locale.country == "US" and rng.random() < 0.3:
        content.tip = money_round(content.subtotal * Decimal(rng.choice([15, 18, 20])) / 100)
    if rng.random() < 0.1:
        content.discount = money_round(content.subtotal * Decimal(rng.choice([5, 10])) / 100)
    if content.payment == "cash":
        total = content.total
        for note in (5, 10, 20, 50, 100, 200, 500, 1000):
            if Decimal(note) >= total:
                content.tendered = Decimal(note) if rng.random() < 0.8 else total
                break
        else:
            content.tendered = total
    return content
