"""Job input and output models (pydantic v2).

These models are the public contract: ``schemas/*.schema.json`` are generated from them
(``python -m extraction.schema --write``) and a test keeps the files current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from extraction.fields import FieldName

_STRICT = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------- input


class DocumentInput(BaseModel):
    """One document: inline bytes (``base64``) or a reference (``url``)."""

    model_config = _STRICT

    base64: Optional[str] = Field(None, description="The file's bytes, base64-encoded; a data: URL is accepted too.")
    url: Optional[str] = Field(None, description="s3://bucket/key or https:// URL (presigned URLs included).")
    recursive: bool = Field(False, description="With an s3:// prefix URL ending in '/': take every object under it.")
    id: Optional[str] = Field(None, max_length=256, description="Your id for this document; echoed in the output.")
    filename: Optional[str] = Field(None, max_length=1024, description="Informational; the format is detected from the bytes.")
    mime_type: Optional[str] = Field(None, max_length=255, description="Informational; the format is detected from the bytes.")
    password: Optional[str] = Field(None, max_length=1024, description="Password of an encrypted PDF.")

    @model_validator(mode="after")
    def _exactly_one_source(self) -> "DocumentInput":
        if (self.base64 is None) == (self.url is None):
            raise ValueError("give exactly one of 'base64' or 'url'")
        return self


class Options(BaseModel):
    model_config = _STRICT

    return_ocr: bool = Field(False, description="Include the OCR words and lines with boxes in the output.")
    pages: Optional[list[int]] = Field(None, description="1-based page numbers to process (default: all, up to the page limit).")
    dpi: int = Field(200, ge=50, le=400, description="Rendering resolution for PDF pages.")
    date_order: Literal["auto", "DMY", "MDY", "YMD"] = Field(
        "auto", description="How to read ambiguous numeric dates; 'auto' decides from evidence on the page."
    )

    @field_validator("pages")
    @classmethod
    def _positive_pages(cls, pages: Optional[list[int]]) -> Optional[list[int]]:
        if pages is not None:
            if not pages:
                raise ValueError("'pages' must not be empty")
            if any(p < 1 for p in pages):
                raise ValueError("page numbers start at 1")
        return pages


class OutputTarget(BaseModel):
    model_config = _STRICT

    url: str = Field(..., description="s3://bucket/prefix/ where one JSON per document and a manifest are written.")


class JobInput(BaseModel):
    """The ``input`` object of a job."""

    model_config = _STRICT

    document: Optional[DocumentInput] = None
    documents: Optional[list[DocumentInput]] = Field(None, min_length=1)
    fields: Optional[list[FieldName]] = Field(None, description="Standard fields to extract (default: all).")
    queries: Optional[dict[str, str]] = Field(
        None, description="Custom fields: name -> question, answered by the TILT extractor (CPU extractor: not found)."
    )
    options: Options = Field(default_factory=Options)
    output: Optional[OutputTarget] = None

    @model_validator(mode="after")
    def _exactly_one_of_document_or_documents(self) -> "JobInput":
        if (self.document is None) == (self.documents is None):
            raise ValueError("give exactly one of 'document' or 'documents'")
        return self

    @property
    def all_documents(self) -> list[DocumentInput]:
        return [self.document] if self.document is not None else list(self.documents or [])


# --------------------------------------------------------------------------- output


class ExtractedField(BaseModel):
    """A found field: the normalised value, the text as printed, and where it is."""

    value: Any = Field(..., description="Normalised: ISO date, decimal string, ISO 4217 code, HH:MM, or text.")
    text: str = Field(..., description="The text as printed on the document.")
    confidence: float = Field(..., ge=0.0, le=1.0)
    page: Optional[int] = Field(None, description="1-based page number.")
    bbox: Optional[list[float]] = Field(None, description="[x1, y1, x2, y2] in page pixels (PDF pages: at the rendering dpi).")


class LineItem(BaseModel):
    description: Optional[str] = None
    quantity: Optional[str] = None
    unit_price: Optional[str] = None
    amount: Optional[str] = None
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    page: Optional[int] = None
    bbox: Optional[list[float]] = None


class ValidationCheck(BaseModel):
    name: str = Field(..., description="e.g. 'subtotal + tax + tip - discount = total'")
    passed: bool
    expected: Optional[str] = None
    actual: Optional[str] = None
    tolerance: Optional[str] = None


class ErrorInfo(BaseModel):
    code: str
    message: str


class OcrWord(BaseModel):
    text: str
    bbox: list[float]
    confidence: float


class OcrLine(BaseModel):
    text: str
    bbox: list[float]
    confidence: float
    words: list[OcrWord]


class OcrPage(BaseModel):
    number: int
    width: float
    height: float
    source: str
    lines: list[OcrLine]


class PageCorrection(BaseModel):
    """What was done to one page image before OCR. Boxes in the output (fields, line items,
    ``ocr``) are in the pixels of the corrected page; ``transform`` maps the received image's
    pixels onto it."""

    page: int = Field(..., description="1-based page number.")
    rotation: Literal[0, 90, 180, 270] = Field(0, description="Degrees the page was turned clockwise to stand upright.")
    deskew: float = Field(0.0, description="Degrees the page was then turned counter-clockwise to level its lines.")
    perspective: bool = Field(False, description="The page was photographed at an angle and flattened.")
    ocr_scale: float = Field(1.0, description="The page was enlarged by this factor for OCR (small text); boxes keep the page's size.")
    transform: Optional[list[list[float]]] = Field(
        None, description="3x3 matrix mapping (x, y, 1) of the received image to the corrected page (absent when unchanged)."
    )
    width: int = Field(..., description="Width of the corrected page, in pixels.")
    height: int = Field(..., description="Height of the corrected page, in pixels.")
    ocr_confidence: Optional[float] = Field(None, description="Mean OCR confidence per character on the page (null: no text).")
    readable: bool = Field(True, description="False when the page could not be read reliably (its fields have low confidence).")


class DocumentResult(BaseModel):
    id: str
    status: Literal["ok", "error"]
    error: Optional[ErrorInfo] = None
    document_type: Optional[str] = None
    pages: int = 0
    fields: dict[str, Optional[ExtractedField]] = Field(default_factory=dict)
    line_items: list[LineItem] = Field(default_factory=list)
    custom: dict[str, Optional[ExtractedField]] = Field(default_factory=dict, description="Answers to `queries`.")
    validation: list[ValidationCheck] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    engines: dict[str, Any] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    page_corrections: list[PageCorrection] = Field(
        default_factory=list, description="Per page read by OCR: rotation, deskew, perspective and scale applied before OCR."
    )
    ocr: Optional[list[OcrPage]] = None


class JobSummary(BaseModel):
    documents: int
    succeeded: int
    failed: int


class JobOutput(BaseModel):
    documents: list[DocumentResult]
    summary: JobSummary
    engines: dict[str, Any] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)


class ManifestEntry(BaseModel):
    id: str
    status: Literal["ok", "error"]
    key: str = Field(..., description="Object key of this document's full result (a DocumentResult).")
    written: bool
    error: Optional[ErrorInfo] = Field(None, description="Why the document failed (status 'error').")
    output_error: Optional[ErrorInfo] = Field(None, description="Why its result could not be written.")


class ManifestSummary(BaseModel):
    documents: int
    succeeded: int
    failed: int
    written: int
    write_failed: int


class OutputManifest(BaseModel):
    """The job output when ``output`` is set: results are in the bucket, this lists them."""

    output: str = Field(..., description="s3://bucket/prefix/ the results were written under.")
    manifest_key: str = Field(..., description="Object key of this manifest in the same bucket.")
    job_id: Optional[str] = None
    written_at: str
    summary: ManifestSummary
    documents: list[ManifestEntry]
    manifest_error: Optional[ErrorInfo] = Field(None, description="Set when the manifest itself could not be written.")
    engines: dict[str, Any] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)


# --------------------------------------------------------------------------- published schemas

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
PUBLISHED_SCHEMAS: dict[str, type[BaseModel]] = {
    "job_input.schema.json": JobInput,
    "job_output.schema.json": JobOutput,
    "job_output_manifest.schema.json": OutputManifest,
}


def render_schema(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m extraction.schema --write`` regenerates ``schemas/``; ``--check`` verifies them."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for name, model in PUBLISHED_SCHEMAS.items():
        path = SCHEMA_DIR / name
        text = render_schema(model)
        if args.write:
            SCHEMA_DIR.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    if stale:
        print("stale schemas (run python -m extraction.schema --write):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
