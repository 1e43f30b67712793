"""Groups of documents that share something (a layout, a source system, a shop), and their scores.

A score over a whole dataset hides whether the extractor works on every kind of document or
only on the kinds it was tuned on. ``--group-by`` scores each group on its own so that the
spread between groups is visible, and the same group keys decide held-out splits
(:mod:`extraction.evaluate.splits`), so that no group is on both sides.

Groupings (``--group-by``):

- ``layout``: the manifest's ``layout`` key; without one, the id prefix (``m3-FACTU...`` -> ``m3``).
- ``source``: the manifest's ``source`` key; without one, the system that made the PDF (its
  metadata's producer family, e.g. ``ReportBuilder``); ``unknown`` for images.
- ``station``: the broadcast station call sign printed most often in a PDF's text layer.
- ``prefix``: the id up to its first ``-``, ``_``, ``.``, ``/`` or space, else its leading letters.
- ``shop``: the normalised vendor-name label (:mod:`extraction.evaluate.shopnames`).
- ``field:KEY``: any manifest key, dotted for nested objects (``field:raw.advertiser``,
  ``field:fields.currency``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Callable

from extraction.evaluate.aggregate import score_dataset
from extraction.evaluate.manifest import Dataset, ManifestEntry
from extraction.evaluate.pdfsource import pdf_source
from extraction.evaluate.shopnames import shop_groups

GROUPINGS = ("layout", "source", "station", "prefix", "shop")
NONE = "(none)"

_PREFIX = re.compile(r"^([^-_./ ]+)[-_./ ]")
_LEADING_LETTERS = re.compile(r"^[A-Za-z]+")


class GroupingError(ValueError):
    """An unknown grouping name."""


def check_grouping(name: str) -> str:
    """Return ``name`` if it is a grouping, else raise :class:`GroupingError` saying which exist."""
    if name in GROUPINGS or (name.startswith("field:") and len(name) > len("field:")):
        return name
    raise GroupingError(f"unknown grouping {name!r}; use one of {', '.join(GROUPINGS)} or field:KEY (a manifest key, dotted for nested ones)")


def id_prefix(doc_id: str) -> str:
    match = _PREFIX.match(doc_id)
    if match:
        return match.group(1)
    letters = _LEADING_LETTERS.match(doc_id)
    return letters.group(0) if letters else doc_id


def _lookup(entry: ManifestEntry, path: str) -> Any:
    node: Any = {"id": entry.id, "fields": entry.fields, **entry.meta}
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _text(value: Any) -> str:
    if value is None or value == "":
        return NONE
    return str(value)


def _layout(entry: ManifestEntry) -> str:
    value = entry.meta.get("layout")
    return _text(value) if value is not None else id_prefix(entry.id)


def _source(entry: ManifestEntry) -> str:
    if entry.meta.get("source"):
        return str(entry.meta["source"])
    if entry.file is None:
        return "unknown"
    return pdf_source(entry.file).system or "unknown"


def _station(entry: ManifestEntry) -> str:
    return (pdf_source(entry.file).station or NONE) if entry.file else NONE


_PER_ENTRY: dict[str, Callable[[ManifestEntry], str]] = {
    "layout": _layout,
    "source": _source,
    "station": _station,
    "prefix": lambda entry: id_prefix(entry.id),
}


def group_keys(entries: list[ManifestEntry], by: str) -> dict[str, str]:
    """Document id -> group key for one grouping (see the module docstring)."""
    check_grouping(by)
    if by == "shop":
        names = shop_groups(e.fields.get("vendor_name") for e in entries)
        return {e.id: names.get(e.fields.get("vendor_name") or "", "") or NONE for e in entries}
    if by.startswith("field:"):
        path = by[len("field:") :]
        return {e.id: _text(_lookup(e, path)) for e in entries}
    return {e.id: _PER_ENTRY[by](e) for e in entries}


def subset(dataset: Dataset, ids: set[str], name: str | None = None) -> Dataset:
    """The dataset restricted to ``ids``; the labelled fields stay the whole dataset's, so that a
    field the dataset labels still counts as spurious where a document of the subset lacks it."""
    return replace(dataset, name=name or dataset.name, entries=[e for e in dataset.entries if e.id in ids])


def brief(summary: dict[str, Any]) -> dict[str, Any]:
    """The part of a dataset summary a group or side keeps: counts, per-field scores, the mean."""
    return {key: summary[key] for key in ("documents", "failed", "fields", "mean", "calibration")}


def score_groups(dataset: Dataset, records: list[dict[str, Any]], keys: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Score every group of the dataset on its own; groups in key order."""
    by_group: dict[str, set[str]] = {}
    for entry in dataset.entries:
        by_group.setdefault(keys.get(entry.id, NONE), set()).add(entry.id)
    result: dict[str, dict[str, Any]] = {}
    for group in sorted(by_group, key=natural_key):
        ids = by_group[group]
        summary, _ = score_dataset(subset(dataset, ids), [r for r in records if r["id"] in ids], 0.0)
        result[group] = brief(summary)
    return result


def natural_key(key: str) -> tuple[Any, ...]:
    """``m2`` before ``m10``; numbers compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key))
