"""Thermal till receipts: narrow (58 or 80 mm), long, centred header, items, totals, payment.

Styles vary the item lines (name and amount with a ``2 x 1,50`` line under it, the quantity
in front, or a quantity/description/amount grid), the totals (net prices plus tax as in the US
and Malaysia, or prices including VAT with a VAT breakdown or a "VAT included" line as in
Europe), cash rounding where the currency rounds cash (MYR, DKK, SEK), tips, discounts, and
cash tendered with change or a card payment.
"""

from __future__ import annotations

import random
from decimal import Decimal

from builder.synth.content import Content
from builder.synth.fonts import FontSet
from builder.synth.locales import label
from builder.synth.page import Page, Sheet
from extraction.vocabulary import load_vocabulary

MM = 72 / 25.4


def _means(field_value: str, lang: str, rng: random.Random) -> str:
    entries = [e.phrase for e in load_vocabulary().entries if e.field == "payment_means" and e.lang == lang and e.value == field_value and e.strength == "primary"]
    return rng.choice(entries)


class ReceiptLayout:
    def __init__(self, content: Content, fonts: FontSet, rng: random.Random) -> None:
        self.c, self.rng = content, rng
        self.lang = content.locale.language
        width = rng.choice([58, 80]) * MM
        family = rng.choice(["mono", "mono", "sans", "condensed"])
        self.sheet = Sheet(fonts, width, 4000.0, family=family)
        self.size = rng.choice([7.0, 7.5, 8.0]) if width < 200 else rng.choice([7.5, 8.0, 8.5, 9.0])
        self.lead = self.size * 1.35
        self.left, self.right = 8.0, width - 8.0
        self.items_style = rng.choice(["under", "front", "grid"])
        self.upper = rng.random() < 0.5
        self.name = f"{int(round(width / MM))}mm-{family}-{self.items_style}"
        if self.upper:
            content.vendor.name = content.vendor.name.upper()
            content.vendor.address = [line.upper() for line in content.vendor.address]
            for item in content.items:
                item.description = [line.upper() for line in item.description]

    def label(self, name: str, colon: float = 0.5) -> str:
        text = label(name, self.lang, self.rng, colon=colon, abbreviations=0.4)
        return text.upper() if self.upper else text

    def money(self, value: Decimal, sign: bool = False) -> str:
        return self.c.money.amount(value, with_sign=sign)

    def pair(self, y: float, left: str, right: str, *, bold: bool = False, scale: float = 1.0) -> float:
        """``left`` at the left edge and ``right`` at the right edge of one line; on two lines when
        they would run into each other (a long date beside a time label), as a printer would."""
        size = self.size * scale
        needed = self.sheet.measure(left, size, bold) + self.sheet.measure(right, size, bold) + 2 * self.sheet.measure(" ", size, bold)
        self.sheet.text(self.left, y, left, size, bold=bold)
        if needed > self.right - self.left:
            y += self.lead * scale
        self.sheet.text(self.right, y, right, size, bold=bold, align="right")
        return y + self.lead * scale

    def centred(self, y: float, text: str, *, scale: float = 1.0, bold: bool = False) -> float:
        for line in self.sheet.wrap(text, self.size * scale, self.right - self.left, bold):
            self.sheet.text((self.left + self.right) / 2, y, line, self.size * scale, bold=bold, align="center")
            y += self.lead * scale
        return y

    def separator(self, y: float) -> float:
        if self.sheet.family == "mono" and self.rng.random() < 0.7:
            width = self.sheet.measure("-", self.size)
            self.sheet.text(self.left, y, self.rng.choice("-=") * int((self.right - self.left) / width), self.size)
        else:
            self.sheet.rule(self.left, y - self.size * 0.35, self.right, y - self.size * 0.35, 0.5)
        return y + self.lead

    # ------------------------------------------------------------------ blocks

    def header(self, y: float) -> float:
        c, v = self.c, self.c.vendor
        y = self.centred(y, v.name, scale=self.rng.choice([1.2, 1.4, 1.7]), bold=True)
        for line in v.address:
            y = self.centred(y, line)
        y = self.centred(y, f"{c.locale.phrase('tel')} {v.phone}")
        if self.rng.random() < 0.7:
            y = self.centred(y, f"{self.label('vendor_tax_id', colon=0.9)} {v.tax_id}")
            c.printed.add("vendor_tax_id")
        if self.rng.random() < 0.5:
            y = self.centred(y + self.lead * 0.3, self.label("receipt_title", colon=0), bold=True, scale=1.1)
        return y + self.lead * 0.3

    def meta(self, y: float) -> float:
        c = self.c
        date = c.locale.date(c.date, self.rng.choice(c.locale.spec["date_formats"][:2]))
        if self.rng.random() < 0.8:
            y = self.pair(y, f"{self.label('receipt_number', colon=0.8)} {c.number}", "")
            c.printed.add("invoice_number")
        c.printed.add("time")
        if self.rng.random() < 0.5:
            y = self.pair(y, f"{self.label('date', colon=0.8)} {date}", f"{self.label('time', colon=0.8)} {c.time}")
        else:
            y = self.pair(y, f"{date} {c.time}", f"{c.locale.phrase('cashier')}: {self.rng.randint(1, 40):02d}")
        return self.separator(y)

    def items(self, y: float) -> float:
        m = self.c.money
        if self.items_style == "grid":
            y = self.pair(y, f"{self.label('column_quantity', colon=0)}  {self.label('column_description', colon=0)}", self.label("column_amount", colon=0), bold=True)
        for item in self.c.items:
            name = " ".join(item.description)
            qty = m.quantity(item.quantity)
            if self.items_style == "front":
                y = self.pair(y, f"{qty} x {name}" if item.quantity != 1 or self.rng.random() < 0.5 else name, m.number(item.amount))
            elif self.items_style == "grid":
                y = self.pair(y, f"{qty:>3}  {name}", m.number(item.amount))
            else:
                y = self.pair(y, name, m.number(item.amount))
                if item.quantity != 1:
                    y = self.pair(y, f"  {qty} x {m.number(item.unit_price)}", "")
        return self.separator(y)

    def totals(self, y: float) -> float:
        c = self.c
        if c.discount:
            y = self.pair(y, self.label("discount"), self.money(-c.discount))
            c.printed.add("discount")
        if not c.prices_include_tax:
            y = self.pair(y, self.label("subtotal"), self.money(c.subtotal))
            c.printed.add("subtotal")
            for t in c.tax_lines:
                y = self.pair(y, f"{self.label('tax', colon=0).rstrip(':')} {c.money.quantity(t.rate)}%", self.money(t.tax))
            c.printed.add("tax")
        if c.tip:
            y = self.pair(y, self.label("tip"), self.money(c.tip))
            c.printed.add("tip")
        if c.rounding:
            y = self.pair(y, self.label("total"), self.money(c.gross))
            y = self.pair(y, self.label("rounding"), self.money(c.rounding))
        y = self.pair(y + self.lead * 0.2, self.label("total"), self.money(c.total, sign=True), bold=True, scale=self.rng.choice([1.0, 1.25, 1.5]))
        return self.payment(y + self.lead * 0.3)

    def payment(self, y: float) -> float:
        c = self.c
        if c.payment == "card":
            y = self.pair(y, f"{_means('card', self.lang, self.rng).upper() if self.upper else _means('card', self.lang, self.rng)} ****{self.rng.randint(1000, 9999)}", self.money(c.total))
            c.printed.add("payment_method")
        elif c.tendered is not None:
            if self.rng.random() < 0.6:
                word = _means("cash", self.lang, self.rng)
                c.printed.add("payment_method")
            else:
                word = self.label("tendered", colon=0.3)
            y = self.pair(y, word.upper() if self.upper else word, self.money(c.tendered))
            y = self.pair(y, self.label("change"), self.money(c.change or Decimal(0)))
        if c.prices_include_tax:
            y = self.vat_included(y + self.lead * 0.3)
        return y

    def vat_included(self, y: float) -> float:
        c, m = self.c, self.c.money
        c.printed.add("tax")
        tax_word = self.label("tax", colon=0).rstrip(":")
        if self.rng.random() < 0.6:
            head = [f"{tax_word} %", self.label("subtotal", colon=0), tax_word, self.label("total", colon=0)]
            xs = [self.left + (self.right - self.left) * f for f in (0.22, 0.5, 0.74, 1.0)]
            room = min(b - a for a, b in zip([self.left, *xs[:-1]], xs)) - 4
            size = min(self.size * 0.9, *(self.size * 0.9 * room / max(self.sheet.measure(t, self.size * 0.9), 1) for t in head))
            for x, text in zip(xs, head):
                self.sheet.text(x, y, text, size, align="right")
            y += self.lead
            rows = [[m.quantity(t.rate), m.number(t.base), m.number(t.tax), m.number(t.base + t.tax)] for t in c.tax_lines]
            if len(rows) > 1:
                rows.append([self.label("total", colon=0), m.number(c.net), m.number(c.tax), m.number(c.net + c.tax)])
            for row in rows:
                for x, text in zip(xs, row):
                    self.sheet.text(x, y, text, self.size * 0.9, align="right")
                y += self.lead
            c.printed.add("subtotal")
            return y
        included = self.label("tax", colon=0).rstrip(":")
        for t in c.tax_lines:
            y = self.pair(y, f"{included} {m.quantity(t.rate)}%", m.number(t.tax))
        if len(c.tax_lines) > 1:
            y = self.pair(y, self.label("tax"), m.number(c.tax))
        return y

    def build(self) -> list[Page]:
        y = self.header(10.0 + self.size * 2)
        y = self.meta(y)
        y = self.items(y)
        y = self.totals(y)
        y = self.centred(y + self.lead, self.c.locale.phrase("receipt_thanks"))
        self.sheet.crop_height(y + self.lead)
        return self.sheet.pages


def layout_receipt(content: Content, fonts: FontSet, rng: random.Random) -> tuple[list[Page], str]:
    layout = ReceiptLayout(content, fonts, rng)
    return layout.build(), layout.name
