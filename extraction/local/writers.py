"""Writing results: one JSON document, JSON Lines, the worker's job output, or CSV.

JSON and JSONL carry the worker's own result objects unchanged; CSV flattens them for
spreadsheets: one row per document with the header fields' values, or (``line_items``) one
row per line item with the document's header fields repeated, so that nothing read is lost
and a document without items still has its row.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Iterable, Literal, Optional

from extraction.fields import FIELD_KINDS
from extraction.schema import DocumentResult, JobOutput, JobSummary

Format = Literal["document", "json", "jsonl", "csv"]
SUFFIX_FORMATS: dict[str, Format] = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
HEADER_FIELDS = tuple(name for name in FIELD_KINDS if name != "document_type")
ITEM_COLUMNS = ("description", "quantity", "unit_price", "amount")


def format_for(path: Optional[Path], explicit: Optional[str], documents: int) -> Format:
    """``explicit``, else the output file's suffix, else one document's JSON or JSON Lines on stdout."""
    if explicit:
        return explicit  # type: ignore[return-value]
    if path is None:
        return "document" if documents == 1 else "jsonl"
    try:
        return SUFFIX_FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"cannot tell the format of {path.name!r} from its suffix; use .json, .jsonl or .csv, or --format") from None


class Writer:
    """Receives results in input order; ``close`` finishes the output."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, result: DocumentResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stream.flush()


class DocumentWriter(Writer):
    """The result of a single document, indented (what ``extract FILE`` prints)."""

    def write(self, result: DocumentResult) -> None:
        self.stream.write(result.model_dump_json(indent=2) + "\n")


class JsonLinesWriter(Writer):
    """One result per line, flushed as it comes (pipe-friendly for big folders)."""

    def write(self, result: DocumentResult) -> None:
        self.stream.write(json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n")
        self.stream.flush()


class JobOutputWriter(Writer):
    """The worker's job output shape: ``{"documents": [...], "summary": {...}}``."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self.results: list[DocumentResult] = []

    def write(self, result: DocumentResult) -> None:
        self.results.append(result)

    def close(self) -> None:
        summary = JobSummary(
            documents=len(self.results),
            succeeded=sum(r.status == "ok" for r in self.results),
            failed=sum(r.status == "error" for r in self.results),
        )
        self.stream.write(JobOutput(documents=self.results, summary=summary).model_dump_json(indent=2) + "\n")
        super().close()


def csv_columns(fields: Optional[Iterable[str]], line_items: bool) -> list[str]:
    chosen = set(fields) if fields is not None else None
    header = [name for name in HEADER_FIELDS if chosen is None or name in chosen]
    columns = ["id", "status", "error_code", "error_message", "document_type", "pages", *header, "checks"]
    return [*columns, "item", *ITEM_COLUMNS] if line_items else [*columns, "line_items"]


def _checks(result: DocumentResult) -> str:
    if not result.validation:
        return ""
    return "passed" if all(c.passed for c in result.validation) else "failed"


def _text(value: object) -> str:
    return "" if value is None else str(value)


class CsvWriter(Writer):
    def __init__(self, stream: IO[str], fields: Optional[Iterable[str]] = None, line_items: bool = False) -> None:
        super().__init__(stream)
        self.line_items = line_items
        self.columns = csv_columns(fields, line_items)
        self.header_fields = [c for c in self.columns if c in HEADER_FIELDS]
        self.csv = csv.DictWriter(stream, fieldnames=self.columns, extrasaction="ignore")
        self.csv.writeheader()

    def write(self, result: DocumentResult) -> None:
        row = {
            "id": result.id,
            "status": result.status,
            "error_code": result.error.code if result.error else "",
            "error_message": result.error.message if result.error else "",
            "document_type": _text(result.document_type),
            "pages": result.pages,
            "checks": _checks(result),
        }
        for name in self.header_fields:
            found = result.fields.get(name)
            row[name] = _text(found.value) if found is not None else ""
        if not self.line_items:
            self.csv.writerow({**row, "line_items": len(result.line_items)})
            return
        if not result.line_items:
            self.csv.writerow(row)
        for number, item in enumerate(result.line_items, start=1):
            self.csv.writerow({**row, "item": number, **{key: _text(getattr(item, key)) for key in ITEM_COLUMNS}})


def open_writer(fmt: Format, stream: IO[str], fields: Optional[Iterable[str]] = None, line_items: bool = False) -> Writer:
    if fmt == "document":
        return DocumentWriter(stream)
    if fmt == "jsonl":
        return JsonLinesWriter(stream)
    if fmt == "json":
        return JobOutputWriter(stream)
    return CsvWriter(stream, fields=fields, line_items=line_items)
