"""Reading evaluation datasets: ``manifest.jsonl`` plus the files and OCR boxes it names.

A dataset is a folder with one JSON object per line in ``manifest.jsonl`` (see
``docs/evaluation.md``). Users write these by hand for their own documents, so every problem
is reported with the file and line number and what to change, before any document is run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Optional

from extraction.fields import FIELD_KINDS, STANDARD_FIELDS
from extraction.layout import DocumentText, Line, PageText, polygon_to_bbox

MANIFEST_NAME = "manifest.jsonl"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LINE_ITEM_KEYS = ("description", "quantity", "unit_price", "amount")
_ENTRY_KEYS = ("id", "file", "fields", "ocr_boxes")


class ManifestError(ValueError):
    """A manifest or OCR-box file that cannot be used; the message names the file and line."""

    def __init__(self, path: Path, line: Optional[int], problem: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class ManifestEntry:
    """One labelled document. ``fields`` holds only labelled values (``null`` labels are dropped)."""

    id: str
    line: int
    fields: dict[str, Any]
    file: Optional[Path] = None
    ocr_boxes: Optional[Path] = None
    unknown: frozenset[str] = frozenset()  # fields labelled null: not scored for this document
    meta: dict[str, Any] = field(default_factory=dict, compare=False)  # the manifest's other keys (e.g. "layout", "raw"), for grouping


@dataclass
class Dataset:
    name: str
    root: Path
    entries: list[ManifestEntry]
    labelled_fields: list[str] = field(default_factory=list)  # every field some entry labels, in standard order

    @property
    def has_ocr_boxes(self) -> bool:
        return all(e.ocr_boxes is not None for e in self.entries)


def load_dataset(path: str | Path, *, limit: Optional[int] = None) -> Dataset:
    """Read and check a dataset folder (or its ``manifest.jsonl``); raises :class:`ManifestError`."""
    path = Path(path)
    manifest = path / MANIFEST_NAME if path.is_dir() else path
    if not manifest.is_file():
        raise ManifestError(manifest, None, f"no {MANIFEST_NAME} here; a dataset is a folder with a {MANIFEST_NAME} file")
    root = manifest.parent
    entries: list[ManifestEntry] = []
    seen: dict[str, int] = {}
    with manifest.open("r", encoding="utf-8-sig") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            entry = _parse_entry(manifest, root, number, raw)
            if entry.id in seen:
                raise ManifestError(manifest, number, f"id {entry.id!r} already used on line {seen[entry.id]}; ids must be unique")
            seen[entry.id] = number
            entries.append(entry)
            if limit is not None and len(entries) >= limit:
                break
    if not entries:
        raise ManifestError(manifest, None, "the manifest has no documents")
    labelled = {name for e in entries for name in (*e.fields, *e.unknown)}
    ordered = [name for name in STANDARD_FIELDS if name in labelled]
    return Dataset(name=root.name, root=root, entries=entries, labelled_fields=ordered)


def _parse_entry(manifest: Path, root: Path, number: int, raw: str) -> ManifestEntry:
    def fail(problem: str) -> ManifestError:
        return ManifestError(manifest, number, problem)

    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object") from None
    if not isinstance(obj, dict):
        raise fail(f"expected a JSON object, got {type(obj).__name__}")
    doc_id = obj.get("id")
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise fail('missing key "id" (a non-empty string naming the document)')
    if "fields" not in obj:
        raise fail(f'document {doc_id!r}: missing key "fields" (an object of labelled values)')
    labels = obj["fields"]
    if not isinstance(labels, dict):
        raise fail(f'document {doc_id!r}: "fields" must be an object, got {type(labels).__name__}')
    file_path = _resolve(obj.get("file"), "file", root, fail, doc_id)
    boxes_path = _resolve(obj.get("ocr_boxes"), "ocr_boxes", root, fail, doc_id)
    if file_path is None and boxes_path is None:
        raise fail(f'document {doc_id!r}: needs "file" (the document, relative to the manifest) or "ocr_boxes", or both')
    fields: dict[str, Any] = {}
    unknown: set[str] = set()
    for name, value in labels.items():
        if name not in STANDARD_FIELDS:
            raise fail(f"document {doc_id!r}: unknown field {name!r}; standard fields are: {', '.join(STANDARD_FIELDS)}")
        if value is None:
            unknown.add(name)
            continue
        problem = _check_label(name, value)
        if problem:
            raise fail(f"document {doc_id!r}: field {name!r}: {problem}")
        fields[name] = value
    meta = {key: value for key, value in obj.items() if key not in _ENTRY_KEYS}
    return ManifestEntry(id=doc_id, line=number, fields=fields, file=file_path, ocr_boxes=boxes_path, unknown=frozenset(unknown), meta=meta)


def _resolve(value: Any, key: str, root: Path, fail: Any, doc_id: str) -> Optional[Path]:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise fail(f"document {doc_id!r}: {key!r} must be a path string relative to the manifest")
    path = (root / value).resolve()
    if not path.is_file():
        raise fail(f"document {doc_id!r}: {key} {value!r} does not exist (looked for {path})")
    return path


def _check_label(name: str, value: Any) -> Optional[str]:
    """Labels must be canonical so that scoring never has to guess what the label meant."""
    if name == "line_items":
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            return "must be a list of objects with description, quantity, unit_price, amount"
        for index, row in enumerate(value, start=1):
            extra = set(row) - set(_LINE_ITEM_KEYS)
            if extra:
                return f"row {index} has unknown keys {sorted(extra)}; allowed: {', '.join(_LINE_ITEM_KEYS)}"
            for key in ("quantity", "unit_price", "amount"):
                if row.get(key) is not None and _decimal(row[key]) is None:
                    return f"row {index}: {key} {row[key]!r} is not a plain decimal number like '12.50'"
        return None
    kind = FIELD_KINDS[name]
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__} ({value!r})"
    if kind == "date" and not _ISO_DATE.match(value):
        return f"{value!r} is not an ISO date (YYYY-MM-DD)"
    if kind == "amount" and _decimal(value) is None:
        return f"{value!r} is not a plain decimal number like '12.50' (no currency sign, no thousands separator)"
    if kind == "currency" and not re.fullmatch(r"[A-Z]{3}", value):
        return f"{value!r} is not an ISO 4217 code like 'EUR'"
    return None


def _decimal(value: Any) -> Optional[Decimal]:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# ---------------------------------------------------------------------- dataset OCR boxes


@dataclass(frozen=True)
class Box:
    bbox: tuple[float, float, float, float]
    text: str


def read_ocr_boxes(path: Path) -> list[Box]:
    """Parse SROIE-style boxes: ``x1,y1,x2,y2,x3,y3,x4,y4,text`` per line (the text may hold commas)."""
    boxes: list[Box] = []
    with Path(path).open("r", encoding="utf-8-sig", errors="replace") as handle:
        for number, raw in enumerate(handle, start=1):
            raw = raw.rstrip("\r\n")
            if not raw.strip():
                continue
            parts = raw.split(",", 8)
            if len(parts) < 9:
                raise ManifestError(Path(path), number, "expected x1,y1,x2,y2,x3,y3,x4,y4,text")
            try:
                coords = [float(v) for v in parts[:8]]
            except ValueError:
                raise ManifestError(Path(path), number, "the first eight values must be numbers (x1,y1,...,x4,y4)") from None
            text = parts[8].strip()
            if not text:
                continue
            points = [(coords[i], coords[i + 1]) for i in range(0, 8, 2)]
            boxes.append(Box(bbox=polygon_to_bbox(points), text=text))
    return boxes


def boxes_to_document(boxes: list[Box], image_path: Optional[Path] = None) -> DocumentText:
    """One page from dataset boxes; page size from the image header, else from the furthest box."""
    width = height = 0.0
    if image_path is not None and image_path.is_file():
        from PIL import Image  # only the header is read

        with Image.open(image_path) as image:
            width, height = map(float, image.size)
    if not width or not height:
        width = max((b.bbox[2] for b in boxes), default=1.0)
        height = max((b.bbox[3] for b in boxes), default=1.0)
    lines = [Line.from_text(b.text, b.bbox, 1.0) for b in boxes]
    return DocumentText(pages=[PageText(number=1, width=width, height=height, lines=lines, source="dataset")])
