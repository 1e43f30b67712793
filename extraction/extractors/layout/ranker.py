"""The learned candidate ranker: picks total, subtotal, tax, invoice and PO number among the
values printed on the page, where the rules plateau on layouts they were not written for.

Why a model: which label names a value, and in which geometric relation (same line, same row,
column title above), varies with every layout and language; a small gradient-boosting model over
the features of :mod:`.candidates` weighs that evidence from data instead of from rules grown one
failure at a time. It is trained by ``builder/train_ranker.py`` (LightGBM, exported to ONNX) and
shipped as ``data/ranker/<field>.onnx`` with ``data/ranker/ranker.json`` (feature names, the
threshold per field, what it was fitted on). The rules' own choice is one of its features, and
stays the answer when the model is absent, disabled, or not confident enough.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

from extraction.extractors.layout.candidates import AMOUNT_FIELDS, ID_FIELDS, RANKED_FIELDS, LabelIndex, ValueCandidate, candidates_for, feature_names
from extraction.extractors.layout.labels import make_field
from extraction.extractors.layout.rows import PageLayout
from extraction.normalize.numbers import format_amount
from extraction.schema import ExtractedField

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).with_name("data") / "ranker"
RECORD_FILE = "ranker.json"


def rule_values(found: dict[str, ExtractedField]) -> dict[str, object]:
    """The rules' values of the ranked fields, in the candidates' types (Decimal or str)."""
    out: dict[str, object] = {}
    for name in RANKED_FIELDS:
        got = found.get(name)
        if got is None or got.value is None:
            continue
        if name in AMOUNT_FIELDS:
            try:
                out[name] = Decimal(str(got.value))
            except ArithmeticError:
                continue
        else:
            out[name] = str(got.value)
    return out


class Ranker:
    """ONNX sessions per field plus the acceptance threshold each was fitted with."""

    def __init__(self, sessions: dict[str, Any], thresholds: dict[str, float], record: dict[str, Any]) -> None:
        self.sessions = sessions
        self.thresholds = thresholds
        self.record = record

    def describe(self) -> dict[str, Any]:
        return {"fields": sorted(self.sessions), "fitted_on": self.record.get("fitted_on", {})}

    def scores(self, layout: PageLayout, index: LabelIndex, name: str, rules: dict[str, object]) -> tuple[list[ValueCandidate], list[float]]:
        """Each candidate of ``name`` and the model's probability that it is the field's value."""
        import numpy as np

        cands, rows = candidates_for(layout, index, name, rules)
        if not cands:
            return [], []
        session = self.sessions[name]
        matrix = np.asarray(rows, dtype=np.float32)
        outputs = session.run(None, {session.get_inputs()[0].name: matrix})
        probs = outputs[1]
        return cands, [float(p[1]) for p in probs]

    def choose(self, layout: PageLayout, found: dict[str, ExtractedField], index: Optional[LabelIndex] = None) -> LabelIndex:
        """Replace the rules' ranked fields by the model's picks where it is confident (in place).

        Fields constrain each other: a zero or negative amount (or one printed in parentheses) is
        a total only on a credit note;
        subtotal + tax = total decides between near-equally likely amounts; the invoice number and
        the PO number are two different numbers.
        """
        index = index or LabelIndex(layout)
        rules = rule_values(found)
        cash = index.has_label(_CASH_LABELS)
        options: dict[str, list[tuple[float, ValueCandidate]]] = {}
        for name in RANKED_FIELDS:
            if name not in self.sessions or name not in rules:
                continue  # the model re-decides what the rules found; it never invents a field the page may not print
            if cash and name in AMOUNT_FIELDS:
                # tendered, change or rounding words, on any document: the rules' receipt arithmetic
                # decides (the amount models had no such training documents; measured on the vrdu
                # folds, letting the model decide on documents read as invoices took net amounts
                # and commissions for totals on held-out systems)
                continue
            cands, probs = self.scores(layout, index, name, rules)
            threshold = self.thresholds.get(name, 0.5)
            ranked = sorted(((p, c) for p, c in zip(probs, cands) if p >= threshold), key=lambda pc: -pc[0])
            if name == "total" and not index.credit_note:
                ranked = [(p, c) for p, c in ranked if isinstance(c.value, Decimal) and c.value > 0 and not c.in_parentheses]
            seen: set[object] = set()
            options[name] = [(p, c) for p, c in ranked if not (c.value in seen or seen.add(c.value))][:_TOP]
        picks = _consistent_amounts(options, rules)
        picks.update(_distinct_ids(options))
        for name, (prob, cand) in picks.items():
            if name in rules and rules[name] == cand.value:
                continue  # the rules' own answer: their field (box, confidence) stands
            found[name] = _field(name, cand, prob)
        return index


#: Vocabulary fields of a cash sale (tendered, change, a rounded total), on which the amount
#: models were not trained; subtotal + tax = total would prefer the unrounded total.
_CASH_LABELS = ("tendered", "change", "rounding")
#: Alternatives per field considered in the joint choice.
_TOP = 3
#: How much more likely (as a factor) a combination that adds up is than one that does not.
_CONSISTENT_BONUS = math.log(8.0)
_CENT = Decimal("0.015")


def _consistent_amounts(options: dict[str, list[tuple[float, ValueCandidate]]], rules: dict[str, object]) -> dict[str, tuple[float, ValueCandidate]]:
    """Total, subtotal and tax chosen together: the likeliest combination, where one in which
    subtotal + tax = total with a non-zero tax counts :data:`_CONSISTENT_BONUS` more (a field the
    model leaves open keeps the rules' value in the sum)."""
    names = [n for n in AMOUNT_FIELDS if options.get(n)]
    if not names:
        return {}
    best: tuple[float, dict[str, tuple[float, ValueCandidate]]] = (-math.inf, {})
    for combo in itertools.product(*(options[n] for n in names)):
        chosen = dict(zip(names, combo))
        score = sum(math.log(max(p, 1e-6)) for p, _ in combo)
        value = {n: chosen[n][1].value if n in chosen else rules.get(n) for n in AMOUNT_FIELDS}
        if all(isinstance(value[n], Decimal) for n in AMOUNT_FIELDS) and value["tax"] != 0:
            # a zero tax proves nothing: any amount "adds up" to itself (a net amount after a
            # commission or discount would pass for the total)
            if abs(value["subtotal"] + value["tax"] - value["total"]) <= _CENT:  # type: ignore[operator]
                score += _CONSISTENT_BONUS
        if score > best[0]:
            best = (score, chosen)
    return best[1]


def _distinct_ids(options: dict[str, list[tuple[float, ValueCandidate]]]) -> dict[str, tuple[float, ValueCandidate]]:
    """Invoice and PO number: the likelier keeps a shared value, the other takes its next one."""
    picks: dict[str, tuple[float, ValueCandidate]] = {}
    order = sorted((n for n in ID_FIELDS if options.get(n)), key=lambda n: -options[n][0][0])
    taken: set[str] = set()
    for name in order:
        for prob, cand in options[name]:
            if str(cand.value) not in taken:
                picks[name] = (prob, cand)
                taken.add(str(cand.value))
                break
    return picks


def _field(name: str, cand: ValueCandidate, prob: float) -> ExtractedField:
    value = format_amount(cand.value) if name in AMOUNT_FIELDS else cand.value  # type: ignore[arg-type]
    return make_field(value, cand.text, 0.5 + 0.45 * prob, page=cand.seg.page, box=cand.bbox)


def load_ranker(directory: Optional[Path] = None) -> Optional[Ranker]:
    """The models (``RANKER_MODEL_DIR``, else the shipped ones), or None (rules only) when
    switched off, absent, or built for other features."""
    if directory is None:
        from extraction.settings import load_settings
        from extraction.settings.ranker import RankerSettings

        settings = load_settings(RankerSettings)
        if not settings.enabled:
            return None
        directory = settings.model_dir or MODEL_DIR
    record_path = directory / RECORD_FILE
    if not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("features") != feature_names():
            log.warning("ranker model at %s was built for other features; using the rules alone", directory)
            return None
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        sessions = {}
        for name in record.get("fields", {}):
            path = directory / f"{name}.onnx"
            if name in RANKED_FIELDS and path.is_file():
                sessions[name] = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        thresholds = {name: float(info.get("threshold", 0.5)) for name, info in record.get("fields", {}).items()}
    except Exception as exc:  # a broken model file must not stop the service: the rules still work
        log.warning("ranker model at %s could not be loaded (%s); using the rules alone", directory, exc)
        return None
    return Ranker(sessions, thresholds, record) if sessions else None
