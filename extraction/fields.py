"""The standard fields: names, kinds and which normaliser each one uses.

Kept in one table so that the schema, both extractors, the rules and the evaluation agree.
"""

from __future__ import annotations

from typing import Literal

FieldKind = Literal["text", "amount", "date", "time", "currency", "document_type", "payment_method"]

#: Standard header fields, in output order, with the kind of value each holds.
FIELD_KINDS: dict[str, FieldKind] = {
    "document_type": "document_type",
    "vendor_name": "text",
    "vendor_address": "text",
    "vendor_tax_id": "text",
    "invoice_number": "text",
    "po_number": "text",
    "date": "date",
    "due_date": "date",
    "time": "time",
    "currency": "currency",
    "subtotal": "amount",
    "tax": "amount",
    "tip": "amount",
    "discount": "amount",
    "total": "amount",
    "payment_method": "payment_method",
}

#: Header fields plus the line-item table; what `fields` in a job may name.
STANDARD_FIELDS: tuple[str, ...] = (*FIELD_KINDS, "line_items")

FieldName = Literal[
    "document_type",
    "vendor_name",
    "vendor_address",
    "vendor_tax_id",
    "invoice_number",
    "po_number",
    "date",
    "due_date",
    "time",
    "currency",
    "subtotal",
    "tax",
    "tip",
    "discount",
    "total",
    "payment_method",
    "line_items",
]

AMOUNT_FIELDS: tuple[str, ...] = tuple(name for name, kind in FIELD_KINDS.items() if kind == "amount")
DATE_FIELDS: tuple[str, ...] = tuple(name for name, kind in FIELD_KINDS.items() if kind == "date")
