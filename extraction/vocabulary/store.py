"""Reading the label vocabulary: one JSON file per field under ``labels/``.

A file names its field, the kind of value its labels announce, the standards' terms it was
built from, and per language the printed labels. An entry is a string (a primary, unabbreviated
label) or an object::

    {"phrase": "Kd.-Nr.", "abbreviation": true}
    {"phrase": "total", "strength": "secondary", "excludes": "@generic"}
    {"phrase": "EC-Karte", "value": "card"}

``strength``: ``primary`` (the label alone names the field) or ``secondary`` (a generic word such
as ``No.`` or ``Saldo`` that needs other evidence). ``excludes``: words that, printed next to the
label on its line, mean it is not this field (``Total`` next to ``excl.`` or ``items``), unless
one of the set's ``unless`` words is there too (``Total incl. VAT``); a list, or ``"@name"`` of
a set in the file's ``exclude_sets``. ``value``: what the label means, for fields whose labels
are values (``payment_means``: ``cash``, ``card``, ...). Problems are reported with the file and
the entry, so that adding a language is a data change that cannot fail silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

LABELS_DIR = Path(__file__).with_name("labels")
VALUE_KINDS = ("amount", "percent", "date", "time", "identifier", "currency", "text", "marker", "column", "payment_method")
STRENGTHS = ("primary", "secondary")


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class LabelEntry:
    field: str
    lang: str
    phrase: str
    abbreviation: bool = False
    strength: str = "primary"
    excludes: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    value: Optional[str] = None


@dataclass(frozen=True)
class FieldInfo:
    name: str
    value_kind: str
    description: str
    standards: tuple[str, ...] = ()
    languages: tuple[str, ...] = field(default=())


def _entry(path: str, name: str, lang: str, raw: Any, sets: dict[str, dict[str, list[str]]]) -> LabelEntry:
    if isinstance(raw, str):
        if raw.strip():
            return LabelEntry(field=name, lang=lang, phrase=raw.strip())
        raw = {"phrase": raw}
    where = f"{path}: labels.{lang}"
    if not isinstance(raw, dict) or not isinstance(raw.get("phrase"), str) or not raw["phrase"].strip():
        raise VocabularyError(f"{where}: an entry must be a phrase or an object with a non-empty \"phrase\", got {raw!r}")
    unknown = set(raw) - {"phrase", "abbreviation", "strength", "excludes", "value"}
    if unknown:
        raise VocabularyError(f"{where}: {raw['phrase']!r} has unknown keys {sorted(unknown)}")
    strength = raw.get("strength", "primary")
    if strength not in STRENGTHS:
        raise VocabularyError(f"{where}: {raw['phrase']!r}: strength must be primary or secondary, got {strength!r}")
    excludes: list[str] = []
    unless: list[str] = []
    spec = raw.get("excludes")
    if isinstance(spec, str):
        if not spec.startswith("@") or spec[1:] not in sets:
            raise VocabularyError(f"{where}: {raw['phrase']!r}: excludes {spec!r} names no set of \"exclude_sets\" ({', '.join(sets) or 'none'})")
        excludes, unless = sets[spec[1:]].get("excludes", []), sets[spec[1:]].get("unless", [])
    elif isinstance(spec, list):
        excludes = spec
    elif spec is not None:
        raise VocabularyError(f"{where}: {raw['phrase']!r}: excludes must be a list of words or \"@set\"")
    return LabelEntry(
        field=name,
        lang=lang,
        phrase=raw["phrase"].strip(),
        abbreviation=bool(raw.get("abbreviation", False)),
        strength=strength,
        excludes=tuple(excludes),
        unless=tuple(unless),
        value=raw.get("value"),
    )


def read_field_file(path: Path) -> tuple[FieldInfo, list[LabelEntry]]:
    """One field's file; raises :class:`VocabularyError`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise VocabularyError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("field") != Path(path).stem:
        raise VocabularyError(f"{path}: \"field\" must name the file's field ({Path(path).stem!r})")
    if data.get("value") not in VALUE_KINDS:
        raise VocabularyError(f"{path}: \"value\" must be one of {', '.join(VALUE_KINDS)}")
    labels = data.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise VocabularyError(f"{path}: \"labels\" must map language codes to lists of entries")
    sets = data.get("exclude_sets") or {}
    entries: list[LabelEntry] = []
    for lang, items in labels.items():
        if not isinstance(items, list):
            raise VocabularyError(f"{path}: labels.{lang} must be a list")
        entries.extend(_entry(str(path), data["field"], lang, item, sets) for item in items)
    info = FieldInfo(
        name=data["field"],
        value_kind=data["value"],
        description=str(data.get("description", "")),
        standards=tuple(data.get("standards", ())),
        languages=tuple(labels),
    )
    return info, entries


def read_directory(directory: Path = LABELS_DIR) -> tuple[dict[str, FieldInfo], list[LabelEntry]]:
    """Every ``*.json`` of a directory, fields in file-name order."""
    files = sorted(Path(directory).glob("*.json"))
    if not files:
        raise VocabularyError(f"{directory}: no vocabulary files (*.json)")
    fields: dict[str, FieldInfo] = {}
    entries: list[LabelEntry] = []
    for path in files:
        info, found = read_field_file(path)
        fields[info.name] = info
        entries.extend(found)
    return fields, entries
