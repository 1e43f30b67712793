"""Invoice pages in many layouts: where the blocks sit, how keys and values pair, which columns.

Each invoice draws a style: the sender's block (top left, top right, centred, or a letterhead
with a sender line above the address window), the title's place, how the references are
printed (a key-value list, a grid of labels over values, a sentence, boxes), the table's
columns (optional ones, in varying order, with multi-line descriptions, continued on the next
page when long, with or without a carried-forward line) and the totals (a right-hand list, a
tax breakdown table, a grid). The style's name goes into the manifest as ``layout``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from builder.synth.content import Content
from builder.synth.fonts import FontSet
from builder.synth.locales import label
from builder.synth.page import Page, Sheet
from extraction.vocabulary import load_vocabulary

A4 = (595.0, 842.0)
MARGIN = 48.0
WIDTHS = {"pos": 30.0, "quantity": 48.0, "unit": 40.0, "unit_price": 72.0, "discount": 44.0, "tax_rate": 44.0, "amount": 78.0}
COLUMN_FIELDS = {"pos": None, "description": "column_description", "quantity": "column_quantity", "unit": "column_unit", "unit_price": "column_unit_price",
                 "discount": "column_discount", "tax_rate": "column_tax_rate", "amount": "column_amount"}


@dataclass
class Style:
    family: str
    size: float
    header: str  # left | right | center | letter
    meta: str  # kv | grid | inline | boxes
    totals: str  # right | breakdown | grid
    columns: list[str]
    date_format: str
    rules: bool
    shade: bool
    repeat_header: bool
    carry_forward: bool
    sign_on_total: bool
    shown: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"{self.header}-{self.meta}-{self.totals}"


def draw_style(content: Content, rng: random.Random) -> Style:
    numeric = ["quantity", "unit_price"] + [c for c, p in (("unit", 0.35), ("discount", 0.0), ("tax_rate", 0.3)) if rng.random() < p]
    if any(i.discount_pct for i in content.items):
        numeric.append("discount")
    if len({i.tax_rate for i in content.items}) > 1 and "tax_rate" not in numeric:
        numeric.append("tax_rate")
    rng.shuffle(numeric)
    columns = ["description", *numeric] if rng.random() < 0.75 else [*numeric[:1], "description", *numeric[1:]]
    columns.insert(len(columns) if rng.random() < 0.88 else rng.randint(1, len(columns)), "amount")
    if rng.random() < 0.4:
        columns.insert(0, "pos")
    formats = content.locale.spec["date_formats"]
    shown = {"subtotal", "tax"} if rng.random() < 0.92 else {"tax"}
    content.printed.add("payment_method")  # bank details are printed on every invoice: pay by transfer
    for name, p in (("due_date", 0.6), ("po_number", 0.5), ("customer_number", 0.4), ("delivery_date", 0.3), ("vendor_tax_id", 0.85), ("payment_method", 0.4)):
        if rng.random() < p:
            shown.add(name)
    if content.discount:
        shown.add("discount")
    return Style(
        family=rng.choice(["sans", "sans", "serif", "condensed"]),
        size=rng.choice([8.0, 8.5, 9.0, 9.5, 10.0]),
        header=rng.choice(["left", "right", "center", "letter"]),
        meta=rng.choice(["kv", "kv", "grid", "inline", "boxes"]),
        totals=rng.choice(["right", "right", "breakdown", "grid"]),
        columns=columns,
        date_format=formats[0] if rng.random() < 0.5 else rng.choice(formats),
        rules=rng.random() < 0.6,
        shade=rng.random() < 0.35,
        repeat_header=rng.random() < 0.8,
        carry_forward=rng.random() < 0.5,
        sign_on_total=rng.random() < 0.7,
        shown=shown,
    )


class InvoiceLayout:
    def __init__(self, content: Content, fonts: FontSet, rng: random.Random) -> None:
        self.c = content
        self.rng = rng
        self.style = draw_style(content, rng)
        self.lang = content.locale.language
        self.sheet = Sheet(fonts, *A4, family=self.style.family)
        self.size = self.style.size
        self.lead = self.size * 1.45
        self.right = A4[0] - MARGIN

    # ------------------------------------------------------------------ helpers

    def label(self, name: str, colon: float = 0.6) -> str:
        return label(name, self.lang, self.rng, colon=colon)

    def date(self, value) -> str:  # type: ignore[no-untyped-def]
        return self.c.locale.date(value, self.style.date_format)

    def money(self, value: Decimal, sign: bool = False) -> str:
        return self.c.money.amount(value, with_sign=sign)

    def total_text(self) -> str:
        if self.style.sign_on_total:
            return self.money(self.c.total, sign=True)
        return f"{self.c.money.code} {self.money(self.c.total)}"

    def references(self) -> list[tuple[str, str]]:
        """(label, value) of the header references this style prints."""
        c, shown = self.c, self.style.shown
        refs = [(self.label("invoice_number"), c.number), (self.label("date"), self.date(c.date))]
        optional = [("due_date", c.due_date and self.date(c.due_date)), ("po_number", c.po_number), ("customer_number", c.customer_number), ("delivery_date", c.delivery_date and self.date(c.delivery_date))]
        for name, value in optional:
            if name in shown and value:
                refs.append((self.label(name), str(value)))
                c.printed.add(name)
        return refs

    def fitted(self, text: str, size: float, width: float, bold: bool = False) -> float:
        """The size at which ``text`` fits ``width`` (never above ``size``): grid cells do not overlap."""
        return min(size, size * width / max(self.sheet.measure(text, size, bold), 1.0))

    # ------------------------------------------------------------------ blocks

    def header(self) -> float:
        s, v = self.sheet, self.c.vendor
        big = self.size * self.rng.choice([1.6, 1.9, 2.2])
        contact = f"{self.c.locale.phrase('tel')} {v.phone}"
        lines = [*v.address, contact]
        y = MARGIN + big
        if self.style.header == "center":
            s.text(A4[0] / 2, y, v.name, big, bold=True, align="center")
            s.text(A4[0] / 2, y + self.lead * 1.2, " · ".join(lines), self.size * 0.9, align="center")
            return y + self.lead * 2.6
        x, align = (MARGIN, "left") if self.style.header == "left" else (self.right, "right")
        s.text(x, y, v.name, big, bold=True, align=align)
        for i, line in enumerate(lines, start=1):
            s.text(x, y + i * self.lead, line, self.size, align=align)
        bottom = y + (len(lines) + 1) * self.lead
        if self.style.header == "letter":
            s.text(MARGIN, bottom + 12, f"{v.name} · {v.address[0]} · {v.address[1]}", self.size * 0.72)
            s.rule(MARGIN, bottom + 14, MARGIN + 240, bottom + 14, 0.3)
            bottom += 20
        return bottom

    def customer(self, y: float, left: bool) -> float:
        s, cust = self.sheet, self.c.customer
        assert cust is not None
        x = MARGIN if left else A4[0] / 2 + 30
        if self.rng.random() < 0.5:
            s.text(x, y, self.c.locale.phrase("customer"), self.size * 0.85, bold=True)
            y += self.lead
        for line in [cust.name, *cust.address]:
            s.text(x, y, line, self.size)
            y += self.lead
        return y

    def title(self, y: float) -> float:
        text = self.label("invoice_title", colon=0)
        align = self.rng.choice(["left", "left", "right", "center"])
        x = {"left": MARGIN, "right": self.right, "center": A4[0] / 2}[align]
        self.sheet.text(x, y, text, self.size * 1.9, bold=True, align=align)
        return y + self.lead * 1.8

    def meta(self, y: float, left: bool) -> float:
        s, refs, style = self.sheet, self.references(), self.style.meta
        if style == "inline":
            (l0, v0), (l1, v1) = refs[0], refs[1]
            s.text(MARGIN, y, f"{l0.rstrip(':')} {v0}   {l1.rstrip(':')} {v1}", self.size, bold=True)
            y += self.lead
            refs = refs[2:]
            style = "kv"
        if style in ("grid", "boxes") and refs:
            width = (self.right - MARGIN) / len(refs)
            for i, (name, value) in enumerate(refs):
                x = MARGIN + i * width
                if style == "boxes":
                    s.rule(x + 2, y - self.size - 3, x + width - 2, y - self.size - 3, 0.4)
                    s.rule(x + 2, y + self.lead + 4, x + width - 2, y + self.lead + 4, 0.4)
                s.text(x + 4, y, name.rstrip(":"), self.fitted(name.rstrip(":"), self.size * 0.85, width - 10, True), bold=True)
                s.text(x + 4, y + self.lead, value, self.fitted(value, self.size, width - 10))
            return y + self.lead * 2.6
        x = MARGIN if left else A4[0] / 2 + 30
        gap = max((s.measure(n, self.size, True) for n, _ in refs), default=0) + 12
        for name, value in refs:
            s.text(x, y, name, self.size, bold=True)
            s.text(x + gap, y, value, self.size)
            y += self.lead
        return y + self.lead * 0.5

    # ------------------------------------------------------------------ table

    def column_edges(self) -> dict[str, tuple[float, float]]:
        """Column extents: each numeric column as wide as its default or its header, the description the rest."""
        self.heads = {col: "Pos." if col == "pos" else self.label(COLUMN_FIELDS[col], colon=0) for col in self.style.columns}
        widths = {col: max(WIDTHS[col], self.sheet.measure(self.heads[col], self.size * 0.92, True) + 12) for col in self.style.columns if col != "description"}
        x, edges = MARGIN, {}
        for col in self.style.columns:
            w = widths.get(col, self.right - MARGIN - sum(widths.values()))
            edges[col] = (x, x + w)
            x += w
        return edges

    def table_header(self, y: float, edges: dict[str, tuple[float, float]]) -> float:
        s = self.sheet
        if self.style.shade:
            s.shade(MARGIN, y - self.size - 3, self.right - MARGIN, self.lead + 2)
        for col, (a, b) in edges.items():
            text = self.heads[col]
            numeric = col not in ("description", "pos")
            s.text(b - 4 if numeric else a + 2, y, text, self.size * 0.92, bold=True, align="right" if numeric else "left")
        if self.style.rules:
            s.rule(MARGIN, y + 4, self.right, y + 4)
        return y + self.lead * 1.3

    def row(self, y: float, index: int, edges: dict[str, tuple[float, float]]) -> tuple[list[tuple[float, str, str, float]], float]:
        item, m = self.c.items[index], self.c.money
        a, b = edges["description"]
        lines = [part for line in item.description for part in self.sheet.wrap(line, self.size, b - a - 6)]
        cells = {"pos": str(index + 1), "quantity": m.quantity(item.quantity), "unit": item.unit, "unit_price": m.number(item.unit_price),
                 "discount": f"{m.quantity(item.discount_pct)} %", "tax_rate": f"{m.quantity(item.tax_rate)} %", "amount": m.number(item.amount)}
        runs = [(a + 2, line, "left", y + i * self.lead) for i, line in enumerate(lines)]
        for col, (x0, x1) in edges.items():
            if col != "description":
                runs.append((x0 + 2 if col == "pos" else x1 - 4, cells[col], "left" if col == "pos" else "right", y))
        return runs, len(lines) * self.lead + self.lead * 0.35

    def table(self, y: float) -> float:
        edges = self.column_edges()
        y = self.table_header(y, edges)
        bottom = A4[1] - 90
        running = Decimal(0)
        for index, item in enumerate(self.c.items):
            runs, height = self.row(y, index, edges)
            if y + height > bottom:
                if self.style.carry_forward:
                    self.sheet.text(self.right, y + 2, f"{self.c.locale.phrase('carried')}: {self.money(running)}", self.size, align="right")
                self.sheet.new_page()
                y = MARGIN + 20
                self.sheet.text(MARGIN, y, f"{self.c.vendor.name} · {self.c.number}", self.size * 0.8)
                y += self.lead * 2
                if self.style.repeat_header:
                    y = self.table_header(y, edges)
                if self.style.carry_forward:
                    self.sheet.text(self.right, y, f"{self.c.locale.phrase('carried')}: {self.money(running)}", self.size, align="right")
                    y += self.lead * 1.2
                runs, height = self.row(y, index, edges)
            for x, text, align, yy in runs:
                self.sheet.text(x, yy, text, self.size, align=align)
            running += item.amount
            y += height
        if self.style.rules:
            self.sheet.rule(MARGIN, y - self.lead * 0.5, self.right, y - self.lead * 0.5)
        return y + self.lead * 0.5

    # ------------------------------------------------------------------ totals and footer

    def totals(self, y: float) -> float:
        s, c, shown = self.sheet, self.c, self.style.shown
        if y > A4[1] - 200:
            s.new_page()
            y = MARGIN + 40
        rows: list[tuple[str, str, bool]] = []
        if "subtotal" in shown:
            rows.append((self.label("subtotal"), self.money(c.subtotal), False))
            c.printed.add("subtotal")
        if "discount" in shown:
            rows.append((self.label("discount"), self.money(-c.discount), False))
            c.printed.add("discount")
        taxes = c.tax_lines
        c.printed.add("tax")
        if self.style.totals == "breakdown":
            heads = [self.label("tax_rate", colon=0), self.label("subtotal", colon=0), self.label("tax", colon=0)]
            xs = [self.right]
            for head in (heads[2], heads[1]):
                xs.insert(0, xs[0] - max(s.measure(head, self.size * 0.9, True), 60) - 18)
            for x, head in zip(xs, heads):
                s.text(x, y, head, self.size * 0.9, bold=True, align="right")
            y += self.lead
            for t in taxes:
                for x, value in zip(xs, [f"{c.money.quantity(t.rate)} %", self.money(t.base), self.money(t.tax)]):
                    s.text(x, y, value, self.size, align="right")
                y += self.lead
            y += self.lead * 0.5
            if len(taxes) > 1:
                rows.append((self.label("tax"), self.money(c.tax), False))
        else:
            tax_word = c.locale.spec["tax_label"] if self.rng.random() < 0.6 else self.label("tax", colon=0).rstrip(":")
            for t in taxes:
                rows.append((f"{tax_word} {c.money.quantity(t.rate)} %", self.money(t.tax), False))
            if len(taxes) > 1:
                rows.append((self.label("tax"), self.money(c.tax), False))
        rows.append((self.label("total"), self.total_text(), True))
        if self.rng.random() < 0.15:
            rows.append((self.label("amount_due"), self.total_text(), True))
        if self.style.totals == "grid":
            width = (self.right - MARGIN) / len(rows)
            for i, (name, value, bold) in enumerate(rows):
                s.text(MARGIN + (i + 1) * width - 4, y, name.rstrip(":"), self.fitted(name.rstrip(":"), self.size * 0.85, width - 10, True), bold=True, align="right")
                s.text(MARGIN + (i + 1) * width - 4, y + self.lead, value, self.fitted(value, self.size, width - 10, bold), bold=bold, align="right")
            return y + self.lead * 3
        for name, value, bold in rows:
            if bold and self.style.rules:
                s.rule(self.right - 200, y - self.size - 2, self.right, y - self.size - 2)
            s.text(self.right - 110, y, name, self.size, bold=bold, align="right")
            s.text(self.right, y, value, self.size, bold=bold, align="right")
            y += self.lead
        return y + self.lead

    def footer(self, y: float) -> None:
        s, c, v = self.sheet, self.c, self.c.vendor
        lines = [c.locale.phrase("terms", d=(c.due_date - c.date).days if c.due_date else 30)]
        if "payment_method" in self.style.shown:
            means = [e.phrase for e in load_vocabulary().entries if e.field == "payment_means" and e.lang == self.lang and e.value == "bank_transfer" and e.strength == "primary"]
            lines.append(f"{self.label('payment_method', colon=1.0)} {self.rng.choice(means)}")
            c.printed.add("payment_method")
        lines.append(f"{c.locale.phrase('bank')}: {self.label('iban', colon=0.8)} {v.iban}  {self.label('bic', colon=0.8)} {v.bic}")
        if "vendor_tax_id" in self.style.shown:
            lines.append(f"{self.label('vendor_tax_id', colon=0.9)} {v.tax_id}")
            c.printed.add("vendor_tax_id")
        lines.append(c.locale.phrase("thanks"))
        if y + (len(lines) + 1) * self.lead > A4[1] - 30:
            s.new_page()
            y = MARGIN
        y = max(y + self.lead, A4[1] - MARGIN - len(lines) * self.lead * 0.9)
        for line in lines:
            s.text(MARGIN, y, line, self.size * 0.85)
            y += self.lead * 0.9

    def page_numbers(self) -> None:
        pages = self.sheet.pages
        if len(pages) < 2 and self.rng.random() < 0.5:
            return
        for number, page in enumerate(pages, start=1):
            self.sheet.text(self.right, A4[1] - 22, self.c.locale.phrase("page", p=number, n=len(pages)), self.size * 0.8, align="right", page=page)

    def build(self) -> list[Page]:
        y = self.header()
        meta_left = self.style.header == "right" or self.rng.random() < 0.3
        top = y + self.lead
        if self.style.meta in ("grid", "boxes", "inline"):
            y = self.customer(top, left=True)
            y = self.title(y + self.lead)
            y = self.meta(y, left=True)
        else:
            y1 = self.customer(top, left=not meta_left)
            y2 = self.meta(top, left=meta_left)
            y = self.title(max(y1, y2) + self.lead)
        y = self.table(y + self.lead * 0.5)
        y = self.totals(y)
        self.footer(y)
        self.page_numbers()
        return self.sheet.pages


def layout_invoice(content: Content, fonts: FontSet, rng: random.Random) -> tuple[list[Page], str]:
    layout = InvoiceLayout(content, fonts, rng)
    return layout.build(), layout.style.name
