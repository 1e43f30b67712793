"""The extractor interface: text with layout in, fields out.

Batch-shaped on purpose: the TILT extractor sends the questions of every document of a job
to the GPU together, while the CPU extractor simply loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol, Sequence

from extraction.errors import DocumentError
from extraction.layout import DocumentText
from extraction.schema import ExtractedField, LineItem


@dataclass
class ExtractionRequest:
    document_id: str
    text: DocumentText
    fields: frozenset[str]  # standard fields wanted (header fields and/or "line_items")
    queries: dict[str, str] = field(default_factory=dict)  # custom name -> question
    date_order: str = "auto"  # "auto" | "DMY" | "MDY" | "YMD"


@dataclass
class Extraction:
    document_type: Optional[str] = None
    fields: dict[str, ExtractedField] = field(default_factory=dict)
    line_items: list[LineItem] = field(default_factory=list)
    custom: dict[str, Optional[ExtractedField]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Extractor(Protocol):
    """``extract`` returns one entry per request, in order: an Extraction or a DocumentError."""

    name: str

    def extract(self, requests: Sequence[ExtractionRequest]) -> list[Extraction | DocumentError]: ...

    def describe(self) -> dict:
        """Engine facts for the output's ``engines`` block (name, model, load time...)."""
        ...
