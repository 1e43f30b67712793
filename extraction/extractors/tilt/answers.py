"""Reading TILT answers: split multi-value text, score it, find it on the page.

TILT returns text only; the output contract wants a confidence, a page and a box, so they are
derived here: confidence as upstream does (exp of the least likely generated token) and the
location by matching the answer against the words that were sent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional, Sequence

from rapidfuzz.distance import Indel

from extraction.extractors.tilt.convert import LocatedWord
from extraction.layout import round_box, union_bbox

#: Answers that mean "nothing here" (TILT has no documented no-answer sentinel).
EMPTY_ANSWERS = frozenset({"", "none", "null", "n/a", "na", "nan", "-", "--", "not found", "no answer", "unknown"})


def split_values(text: str, separator: str = " | ") -> list[str]:
    """Split a multi-value answer on the separator; blank and "None"-like parts are dropped."""
    sep = separator.strip() or separator
    parts = text.split(sep) if sep else [text]
    return [p.strip() for p in parts if not is_empty_answer(p)]


def is_empty_answer(text: Optional[str]) -> bool:
    return text is None or text.strip().strip(".:").strip().casefold() in EMPTY_ANSWERS


def confidence(logprobs: Sequence[dict], token_ids: Sequence[int] = ()) -> Optional[float]:
    """``exp(min logprob)`` over the generated tokens; None when there are none (ignored request).

    Each entry maps token id -> Logprob; with ``logprobs=0`` it holds the sampled token (plus
    nothing else), and the sampled token is preferred when ``token_ids`` says which it is.
    """
    values: list[float] = []
    for i, entry in enumerate(logprobs):
        if not entry:
            continue
        chosen = entry.get(token_ids[i]) if i < len(token_ids) else None
        if chosen is None:
            chosen = next(iter(entry.values()))
        value = getattr(chosen, "logprob", chosen)
        if isinstance(value, (int, float)) and not math.isnan(value):
            values.append(float(value))
    if not values:
        return None
    return max(0.0, min(1.0, math.exp(min(values))))


def _compact(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.casefold())


@dataclass
class Location:
    page: int
    bbox: list[float]
    exact: bool


def locate(answer: str, words: Sequence[LocatedWord], fuzzy_threshold: float = 0.85) -> Optional[Location]:
    """Where ``answer`` is printed: the first run of consecutive words on one page spelling it.

    Compared without case, spaces or punctuation, so "12,50" matches "12.50" and a value
    printed inside a longer word ("RM12.50") is found. Falls back to the most similar run of
    the same word count when no exact run exists (similarity: 1 - insertions and deletions
    needed / total length, so one misread character in ten keeps about 0.9).
    """
    target = _compact(answer)
    if not target or not words:
        return None
    compact = [_compact(w.word.text) for w in words]
    n = len(words)
    for start in range(n):
        first = compact[start]
        if not first:
            continue
        if target in first and (first == target or len(target) >= 3):
            return _location(words[start : start + 1], exact=True)
        if not target.startswith(first):
            continue
        acc = first
        for end in range(start + 1, n):
            if words[end].page != words[start].page:
                break
            acc += compact[end]
            if acc == target:
                return _location(words[start : end + 1], exact=True)
            if len(acc) >= len(target) or not target.startswith(acc):
                break
    span = max(1, len(answer.split()))
    best: tuple[float, int] = (0.0, -1)
    for start in range(0, n - span + 1):
        window = words[start : start + span]
        if window[0].page != window[-1].page:
            continue
        ratio = Indel.normalized_similarity(target, "".join(compact[start : start + span]))
        if ratio > best[0]:
            best = (ratio, start)
    if best[1] >= 0 and best[0] >= fuzzy_threshold:
        return _location(words[best[1] : best[1] + span], exact=False)
    return None


def _location(words: Sequence[LocatedWord], exact: bool) -> Location:
    box = union_bbox([w.word.bbox for w in words])
    return Location(page=words[0].page, bbox=round_box(box, 2), exact=exact)

