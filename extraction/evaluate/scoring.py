"""Scoring rules: when a predicted field counts as right, and how counts become P/R/F1.

Labels are canonical (ISO dates, 2-place decimals); predictions are the pipeline's normalised
``value`` (what a caller consumes; the printed ``text`` is only shown in the error listing). Dates and amounts are compared as values so
that "2024-03-14" equals "14/03/2024" and "RM 9.00" equals "9.00"; text is compared after
upper-casing, collapsing whitespace and stripping surrounding punctuation.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional, Sequence

from rapidfuzz.distance import Levenshtein

from extraction.fields import FIELD_KINDS

_PUNCT = string.punctuation + "\u00a0“”‘’«»·•–—"
_SPACE = re.compile(r"\s+")


# ---------------------------------------------------------------------- value normalisation


def normalize_text(value: Any) -> str:
    """Upper-case, collapse whitespace, strip punctuation at both ends."""
    text = _SPACE.sub(" ", str(value)).strip().upper()
    return text.strip(_PUNCT + " ")


def parse_amount(value: Any) -> Optional[Decimal]:
    """A value as a Decimal: the project's amount parser when present, else a small fallback."""
    if value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = str(value).strip()
    try:
        return Decimal(text)  # canonical labels and values take this path
    except InvalidOperation:
        pass
    try:
        from extraction.normalize.numbers import parse_amount as rules_parse_amount
    except ImportError:
        return _fallback_amount(text)
    return rules_parse_amount(text)


def _fallback_amount(text: str) -> Optional[Decimal]:
    """Strip currency signs/codes; the last '.' or ',' followed by 1-2 digits is the decimal mark."""
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if not re.search(r"\d", cleaned):
        return None
    match = re.search(r"[.,](\d{1,2})$", cleaned)
    if match:
        whole = re.sub(r"[^\d\-]", "", cleaned[: match.start()])
        cleaned = f"{whole or '0'}.{match.group(1)}"
    else:
        cleaned = re.sub(r"[^\d\-]", "", cleaned)
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def parse_date(value: Any) -> Optional[dt.date]:
    """A value as a date: ISO first, then the project's date parser, else common D/M/Y forms."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        from extraction.normalize.dates import parse_date as rules_parse_date
    except ImportError:
        return _fallback_date(text)
    parsed = rules_parse_date(text)
    return parsed.value if parsed is not None else None


def _fallback_date(text: str) -> Optional[dt.date]:
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _time(value: Any) -> str:
    match = re.search(r"(\d{1,2})[:.h](\d{2})", str(value))
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else normalize_text(value)


def canonical(kind: str, value: Any) -> Any:
    """The comparison key of a value for a field kind (None when it cannot be read)."""
    if value is None:
        return None
    if kind == "amount":
        return parse_amount(value)
    if kind == "date":
        return parse_date(value)
    if kind == "time":
        return _time(value)
    if kind in ("currency", "document_type", "payment_method"):
        return normalize_text(value).lower()
    return normalize_text(value)


def values_match(kind: str, expected: Any, predicted: Any) -> bool:
    if expected is None or predicted is None:
        return False
    want = canonical(kind, expected)
    got = canonical(kind, predicted)
    return want is not None and got is not None and want == got


def similarity(expected: Any, predicted: Any) -> float:
    """1 - normalised edit distance between the normalised texts (0 when nothing was predicted)."""
    if predicted is None:
        return 0.0
    return float(Levenshtein.normalized_similarity(normalize_text(expected), normalize_text(predicted)))


# ---------------------------------------------------------------------- per-document outcomes


@dataclass
class Prediction:
    """What the pipeline said for one field (value normalised, text as printed)."""

    value: Any
    text: Optional[str] = None
    confidence: Optional[float] = None
    page: Optional[int] = None
    bbox: Optional[list[float]] = None

    @property
    def comparable(self) -> Any:
        """What users of the service get: the normalised value (a field with only text was not read)."""
        return self.value if self.value not in (None, "") else None


@dataclass
class FieldOutcome:
    """One (document, field) pair after scoring."""

    field: str
    kind: str  # correct | wrong | missing | spurious
    expected: Any = None
    predicted: Any = None
    confidence: Optional[float] = None
    similarity: Optional[float] = None  # text fields with a label only
    prediction: Optional[Prediction] = None


def score_field(name: str, expected: Any, prediction: Optional[Prediction]) -> Optional[FieldOutcome]:
    """Classify one header field; None when neither a label nor a prediction exists."""
    kind = FIELD_KINDS.get(name, "text")
    predicted = prediction.comparable if prediction is not None else None
    if predicted in (None, ""):
        predicted = None
    confidence = prediction.confidence if prediction is not None else None
    sim = similarity(expected, predicted) if kind == "text" and expected is not None else None
    if expected is None and predicted is None:
        return None
    if expected is None:
        outcome = "spurious"
    elif predicted is None:
        outcome = "missing"
    elif values_match(kind, expected, predicted):
        outcome = "correct"
    else:
        outcome = "wrong"
    return FieldOutcome(name, outcome, expected, predicted, confidence, sim, prediction)


# ---------------------------------------------------------------------- line items

ROW_KEYS = ("description", "quantity", "amount")


def rows_match(expected: dict[str, Any], predicted: dict[str, Any]) -> bool:
    """A row counts when description, quantity and amount all match (absent in both counts as equal)."""
    for key in ROW_KEYS:
        want, got = expected.get(key), predicted.get(key)
        if want is None and got is None:
            continue
        kind = "text" if key == "description" else "amount"
        if not values_match(kind, want, got):
            return False
    return True


def row_similarity(expected: dict[str, Any], predicted: dict[str, Any]) -> float:
    """How close two rows are, for pairing unmatched rows in the error listing."""
    score = similarity(expected.get("description") or "", predicted.get("description") or "")
    for key in ("quantity", "amount"):
        score += 1.0 if values_match("amount", expected.get(key), predicted.get(key)) else 0.0
    return score / 3.0


@dataclass
class LineItemOutcome:
    expected_rows: int
    predicted_rows: int
    matched: int
    wrong: list[tuple[dict, dict]] = field(default_factory=list)  # (expected, closest predicted)
    missing: list[dict] = field(default_factory=list)
    spurious: list[dict] = field(default_factory=list)


def score_line_items(expected: Sequence[dict[str, Any]], predicted: Sequence[dict[str, Any]]) -> LineItemOutcome:
    """Pair rows: exact matches first (optimal, since a match is equality after normalisation),
    then the leftovers by closest similarity so the error listing shows what went wrong."""
    unused = list(range(len(predicted)))
    leftover_expected: list[dict] = []
    matched = 0
    for row in expected:
        hit = next((j for j in unused if rows_match(row, predicted[j])), None)
        if hit is None:
            leftover_expected.append(row)
        else:
            unused.remove(hit)
            matched += 1
    outcome = LineItemOutcome(expected_rows=len(expected), predicted_rows=len(predicted), matched=matched)
    for row in leftover_expected:
        if not unused:
            outcome.missing.append(row)
            continue
        best = max(unused, key=lambda j: row_similarity(row, predicted[j]))
        unused.remove(best)
        outcome.wrong.append((row, dict(predicted[best])))
    outcome.spurious = [dict(predicted[j]) for j in unused]
    return outcome


# ---------------------------------------------------------------------- aggregation


def prf(correct: int, predicted: int, labelled: int) -> dict[str, Optional[float]]:
    precision = correct / predicted if predicted else None
    recall = correct / labelled if labelled else None
    if precision is not None and recall is not None and precision + recall:
        f1: Optional[float] = 2 * precision * recall / (precision + recall)
    else:
        f1 = 0.0 if (predicted or labelled) else None
    return {"precision": precision, "recall": recall, "f1": f1}


@dataclass
class OutcomeCounts:
    """How many predictions were correct, wrong, missing or spurious: header fields and
    line-item rows are both counted this way, so their summaries carry the same keys."""

    correct: int = 0
    wrong: int = 0
    missing: int = 0
    spurious: int = 0

    def counts(self) -> dict[str, int]:
        return {"correct": self.correct, "wrong": self.wrong, "missing": self.missing, "spurious": self.spurious}


@dataclass
class FieldStats(OutcomeCounts):
    similarities: list[float] = field(default_factory=list)

    def add(self, outcome: FieldOutcome) -> None:
        setattr(self, outcome.kind, getattr(self, outcome.kind) + 1)
        if outcome.similarity is not None:
            self.similarities.append(outcome.similarity)

    def summary(self) -> dict[str, Any]:
        predicted = self.correct + self.wrong + self.spurious
        labelled = self.correct + self.wrong + self.missing
        result: dict[str, Any] = {**prf(self.correct, predicted, labelled), **self.counts()}
        if self.similarities:
            result["similarity"] = sum(self.similarities) / len(self.similarities)
        return result


@dataclass
class LineItemStats(OutcomeCounts):
    """Row counts; ``correct`` counts the rows matched exactly."""

    expected_rows: int = 0
    predicted_rows: int = 0

    def add(self, outcome: LineItemOutcome) -> None:
        self.expected_rows += outcome.expected_rows
        self.predicted_rows += outcome.predicted_rows
        self.correct += outcome.matched
        self.wrong += len(outcome.wrong)
        self.missing += len(outcome.missing)
        self.spurious += len(outcome.spurious)

    def summary(self) -> dict[str, Any]:
        return {
            **prf(self.correct, self.predicted_rows, self.expected_rows),
            **self.counts(),
            "expected_rows": self.expected_rows,
            "predicted_rows": self.predicted_rows,
        }


def mean_over_fields(fields: dict[str, dict[str, Any]]) -> dict[str, Optional[float]]:
    """Macro average: every labelled field weighs the same (None values are skipped)."""
    result: dict[str, Optional[float]] = {}
    for key in ("precision", "recall", "f1", "similarity"):
        values = [stats[key] for stats in fields.values() if stats.get(key) is not None]
        result[key] = sum(values) / len(values) if values else None
    return result


# ---------------------------------------------------------------------- calibration

BUCKETS: tuple[tuple[float, float], ...] = ((0.0, 0.5), (0.5, 0.8), (0.8, 0.95), (0.95, 1.0))


def calibration(outcomes: Iterable[FieldOutcome], buckets: Sequence[tuple[float, float]] = BUCKETS) -> list[dict[str, Any]]:
    """Accuracy of predictions per confidence bucket (the last bucket includes 1.0).

    Every prediction with a confidence counts: correct ones as right, wrong and spurious as not.
    """
    rows: list[dict[str, Any]] = [{"bucket": f"[{lo:g}, {hi:g}{']' if i == len(buckets) - 1 else ')'}", "count": 0, "correct": 0, "_conf": 0.0} for i, (lo, hi) in enumerate(buckets)]
    for outcome in outcomes:
        if outcome.confidence is None or outcome.kind == "missing":
            continue
        for index, (lo, hi) in enumerate(buckets):
            last = index == len(buckets) - 1
            if lo <= outcome.confidence < hi or (last and outcome.confidence == hi):
                rows[index]["count"] += 1
                rows[index]["correct"] += outcome.kind == "correct"
                rows[index]["_conf"] += outcome.confidence
                break
    return finish_calibration_rows(rows)


def finish_calibration_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buckets holding ``count``, ``correct`` and ``_conf`` (the sum of their confidences) with
    their accuracy and mean confidence filled in (None for an empty bucket)."""
    for row in rows:
        count = row["count"]
        row["accuracy"] = row["correct"] / count if count else None
        row["mean_confidence"] = row.pop("_conf") / count if count else None
    return rows
