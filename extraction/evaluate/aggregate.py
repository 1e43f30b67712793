"""From per-document records to a dataset summary (scores, latency, calibration) and error rows."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from extraction.evaluate.manifest import Dataset
from extraction.evaluate.scoring import (
    FieldOutcome,
    FieldStats,
    LineItemStats,
    Prediction,
    calibration,
    mean_over_fields,
    normalize_text,
    score_field,
    score_line_items,
)

STAGES = ("load", "page_prep", "ocr", "extract", "rules", "total")
_CONTEXT_CHARS = 300
_LOCATE_EDIT_SHARE = 0.1  # characters that may differ between a value and where it is printed (OCR slips)


def score_dataset(dataset: Dataset, records: list[dict[str, Any]], wall_s: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Score every labelled field of every document; returns the summary and the error rows."""
    by_id = {r["id"]: r for r in records}
    header_fields = [f for f in dataset.labelled_fields if f != "line_items"]
    stats = {name: FieldStats() for name in header_fields}
    items = LineItemStats() if "line_items" in dataset.labelled_fields else None
    outcomes: list[FieldOutcome] = []
    errors: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for entry in dataset.entries:
        record = by_id.get(entry.id)
        if record is None:
            continue
        if record["status"] != "ok":
            failed.append({"id": entry.id, **(record.get("error") or {})})
        lines = record.get("lines")
        for name in header_fields:
            if name in entry.unknown:
                continue  # labelled null: the truth is not known for this document
            raw = record["fields"].get(name)
            prediction = Prediction(**raw) if raw else None
            outcome = score_field(name, entry.fields.get(name), prediction)
            if outcome is None:
                continue
            stats[name].add(outcome)
            outcomes.append(outcome)
            if outcome.kind != "correct":
                errors.append(_error_row(dataset.name, entry.id, outcome, lines))
        if items is not None and "line_items" not in entry.unknown:
            result = score_line_items(entry.fields.get("line_items") or [], record.get("line_items") or [])
            items.add(result)
            errors.extend(_line_item_rows(dataset.name, entry.id, result, lines))
    fields: dict[str, dict[str, Any]] = {name: s.summary() for name, s in stats.items()}
    if items is not None:
        fields["line_items"] = items.summary()
    ok = [r for r in records if r["status"] == "ok"]
    summary = {
        "documents": len(records),
        "failed": len(failed),
        "failures": failed,
        "fields": fields,
        "mean": mean_over_fields(fields),
        "latency_ms": latency(ok),
        "seconds_per_document": _seconds_per_document(ok),
        "cpu_seconds_per_document": _cpu_seconds_per_document(ok),
        "wall_seconds": round(wall_s, 2),
        "calibration": calibration(outcomes),
    }
    return summary, errors


def _percentiles(values: list[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=float)
    return {
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "mean": round(float(array.mean()), 1),
    }


def latency(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50/p95/mean per pipeline stage (``DocumentResult.timings_ms``) and per document."""
    result: dict[str, dict[str, float]] = {}
    for stage in STAGES:
        values = [r["timings_ms"][stage] for r in records if stage in r.get("timings_ms", {})]
        if values:
            result[stage] = _percentiles(values)
    walls = [r["wall_ms"] for r in records if "wall_ms" in r]
    if walls:
        result["document"] = _percentiles(walls)
    return result


def _seconds_per_document(records: list[dict[str, Any]]) -> Optional[float]:
    walls = [r["wall_ms"] for r in records if "wall_ms" in r]
    return round(sum(walls) / len(walls) / 1000.0, 3) if walls else None


def _cpu_seconds_per_document(records: list[dict[str, Any]]) -> Optional[float]:
    """CPU time of the process that read each document (all its threads): on a machine shared
    with other work, wall time says how much of a core a run got, CPU time what it needed."""
    cpus = [r["cpu_ms"] for r in records if "cpu_ms" in r]
    return round(sum(cpus) / len(cpus) / 1000.0, 3) if cpus else None


# ---------------------------------------------------------------------- error rows and OCR context


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool, list, dict)) else str(value)


def _error_row(dataset: str, doc_id: str, outcome: FieldOutcome, lines: Optional[list[list[Any]]]) -> dict[str, Any]:
    prediction = outcome.prediction
    row: dict[str, Any] = {
        "dataset": dataset,
        "id": doc_id,
        "field": outcome.field,
        "kind": outcome.kind,
        "expected": _plain(outcome.expected),
        "predicted": _plain(outcome.predicted),
        "predicted_text": prediction.text if prediction else None,
        "confidence": outcome.confidence,
    }
    if outcome.similarity is not None:
        row["similarity"] = round(outcome.similarity, 3)
    if prediction is not None and prediction.bbox:
        row["page"], row["bbox"] = prediction.page, prediction.bbox
    if lines:
        if outcome.expected is not None:
            row["expected_box"] = box_near_text(lines, outcome.expected)
        if prediction is not None:
            row["context"] = context_near_box(lines, prediction.page, prediction.bbox) or context_near_text(lines, prediction.text or prediction.comparable)
        if outcome.expected is not None:
            row["expected_context"] = context_near_text(lines, outcome.expected)
        if "context" not in row:
            row["context"] = row.get("expected_context")
    return row


def _line_item_rows(dataset: str, doc_id: str, result: Any, lines: Optional[list[list[Any]]]) -> list[dict[str, Any]]:
    rows = []
    base = {"dataset": dataset, "id": doc_id, "field": "line_items"}
    for expected, predicted in result.wrong:
        rows.append({**base, "kind": "wrong", "expected": expected, "predicted": predicted, "confidence": predicted.get("confidence")})
    for expected in result.missing:
        rows.append({**base, "kind": "missing", "expected": expected, "predicted": None, "confidence": None})
    for predicted in result.spurious:
        rows.append({**base, "kind": "spurious", "expected": None, "predicted": predicted, "confidence": predicted.get("confidence")})
    if lines:
        for row in rows:
            probe = row["expected"] or row["predicted"]
            row["context"] = context_near_text(lines, probe.get("description") or "")
    return rows


def context_near_box(lines: list[list[Any]], page: Optional[int], bbox: Optional[list[float]]) -> Optional[str]:
    """The OCR lines on the prediction's page whose vertical centre is within a line height of it."""
    if not bbox or len(bbox) < 4:
        return None
    y1, y2 = float(bbox[1]), float(bbox[3])
    reach = max(y2 - y1, 1.0)
    near = [line for line in lines if (page is None or line[0] == page) and y1 - reach <= (line[2] + line[4]) / 2 <= y2 + reach]
    near.sort(key=lambda line: (line[2], line[1]))
    return _clip(" | ".join(str(line[5]) for line in near)) or None


def _printed_in(probe: str, text: str) -> Optional[float]:
    """How well ``probe`` is printed somewhere in ``text`` (0-100), or None when it is not: more
    than a tenth of its characters differ, or it is only part of a longer number or word
    (``5.00`` is not printed in ``15.00``)."""
    allowed = int(len(probe) * _LOCATE_EDIT_SHARE)
    if len(text) <= len(probe):
        return fuzz.ratio(probe, text) if Levenshtein.distance(probe, text) <= allowed else None
    alignment = fuzz.partial_ratio_alignment(probe, text)
    start, end = alignment.dest_start, alignment.dest_end
    if Levenshtein.distance(probe, text[start:end]) > allowed:
        return None
    if (probe[0].isalnum() and start > 0 and text[start - 1].isalnum()) or (probe[-1].isalnum() and end < len(text) and text[end].isalnum()):
        return None
    return alignment.score


def box_near_text(lines: list[list[Any]], value: Any, span: int = 3) -> Optional[list[Any]]:
    """``[page, x1, y1, x2, y2]`` around the OCR lines (up to ``span`` in a row, for values printed
    over several lines) where ``value`` is printed, or None: where the expected value probably
    is, so a person can compare it with what was read."""
    probe = normalize_text(value) if value is not None else ""
    if not probe or not lines:
        return None
    texts = [normalize_text(line[5]) for line in lines]
    best: Optional[tuple[float, int, int, int]] = None  # score, -characters (the tightest wins a tie), first line, line count
    for first in range(len(lines)):
        for count in range(1, span + 1):
            window = lines[first : first + count]
            if len(window) < count or any(line[0] != window[0][0] for line in window):
                break
            joined = " ".join(texts[first : first + count])
            score = _printed_in(probe, joined)
            if score is not None and (best is None or (score, -len(joined)) > best[:2]):
                best = (score, -len(joined), first, count)
    if best is None:
        return None
    window = lines[best[2] : best[2] + best[3]]
    return [window[0][0], min(float(l[1]) for l in window), min(float(l[2]) for l in window), max(float(l[3]) for l in window), max(float(l[4]) for l in window)]


def context_near_text(lines: list[list[Any]], value: Any) -> Optional[str]:
    """The line that best contains ``value`` (fuzzy), with the lines before and after it."""
    probe = normalize_text(value) if value is not None else ""
    if not probe or not lines:
        return None
    scores = [fuzz.partial_ratio(probe, normalize_text(line[5])) for line in lines]
    best = int(np.argmax(scores))
    window = lines[max(best - 1, 0) : best + 2]
    return _clip(" | ".join(str(line[5]) for line in window))


def _clip(text: str) -> str:
    return text if len(text) <= _CONTEXT_CHARS else text[: _CONTEXT_CHARS - 1] + "…"
