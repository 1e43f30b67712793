"""Fake OCR and extractor engines: the pipeline's contract without models."""

from __future__ import annotations

from typing import Sequence

from PIL import Image

from extraction.errors import DocumentError
from extraction.extractors.base import Extraction, ExtractionRequest
from extraction.layout import Line
from extraction.schema import ExtractedField


class FakeOcr:
    """Returns one fixed line per page, recording the images it saw."""

    name = "fake-ocr"

    def __init__(self, text: str = "TOTAL 12.50") -> None:
        self.text = text
        self.images: list[Image.Image] = []

    def recognize(self, image: Image.Image) -> list[Line]:
        self.images.append(image)
        return [Line.from_text(self.text, (10, 10, 10 + 12 * len(self.text), 30), 0.9)]

    def describe(self) -> dict:
        return {"name": self.name}


class FakeExtractor:
    """Reports the document's first line as vendor_name; fails on documents whose text says FAIL."""

    name = "fake-extractor"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def extract(self, requests: Sequence[ExtractionRequest]) -> list[Extraction | DocumentError]:
        self.batches.append([r.document_id for r in requests])
        out: list[Extraction | DocumentError] = []
        for request in requests:
            lines = request.text.lines
            if any("FAIL" in line.text for _, line in lines):
                raise RuntimeError("extractor blew up")
            fields = {}
            if lines:
                page, line = lines[0]
                fields["vendor_name"] = ExtractedField(value=line.text, text=line.text, confidence=0.5, page=page, bbox=list(line.bbox))
            out.append(Extraction(document_type="receipt", fields=fields))
        return out

    def describe(self) -> dict:
        return {"name": self.name}
