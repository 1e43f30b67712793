"""How well a page was read, from the OCR's own confidences; and what follows when it was not.

A page that is still unreadable after preparation (blurred, dark, tiny, torn) must not
produce confident fields: the extractor would pick the likeliest strings from garbage and
score them as usual. The recogniser's confidence, averaged over the characters of the page,
separates the two well (a sharp upright page reads at 0.9 and above, a smeared or upside-down
one far below), so a page under the threshold is reported and its fields are capped.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from extraction.layout import Line
from extraction.schema import ExtractedField, LineItem, PageCorrection


def mean_confidence(lines: Sequence[Line]) -> Optional[float]:
    """The recogniser's confidence per character over the page (None: no text at all)."""
    weights = [len(line.text.replace(" ", "")) for line in lines]
    total = sum(weights)
    if total == 0:
        return None
    return sum(weight * line.confidence for weight, line in zip(weights, lines)) / total


def vertical_share(lines: Sequence[Line]) -> float:
    """Share of the characters read in lines taller than wide: text running up-down, i.e. a
    page still turned by a quarter (the recogniser reads such lines confidently, one by one,
    but the page's layout is lost)."""
    weights = [len(line.text.replace(" ", "")) for line in lines]
    tall = sum(w for w, line in zip(weights, lines) if w >= 3 and (line.bbox[3] - line.bbox[1]) > (line.bbox[2] - line.bbox[0]))
    return tall / max(sum(weights), 1)


def reading_score(lines: Sequence[Line]) -> float:
    """Characters read, each counted by its confidence: which of two readings read more."""
    return sum(len(line.text.replace(" ", "")) * line.confidence for line in lines)


def unreadable_warning(page: int, confidence: float, sideways: bool) -> str:
    if sideways:
        return (
            f"page {page} could not be read reliably: its text runs up and down (the page seems turned by 90 degrees); "
            "its fields are given low confidence"
        )
    return (
        f"page {page} could not be read reliably (mean OCR confidence {confidence:.2f}): the photo may be blurred, "
        "dark, too small or cut off; its fields are given low confidence"
    )


def cap_unreadable(
    fields: dict[str, Optional[ExtractedField]],
    line_items: list[LineItem],
    corrections: Sequence[PageCorrection],
    cap: float,
) -> tuple[dict[str, Optional[ExtractedField]], list[LineItem]]:
    """Fields and line items read from an unreadable page, with their confidence at most ``cap``
    (one without a page number counts as read from it when any page was unreadable)."""
    unreadable = {c.page for c in corrections if not c.readable}
    if not unreadable:
        return fields, line_items

    def capped(item: Any) -> Any:
        if item is None or item.confidence <= cap or (item.page is not None and item.page not in unreadable):
            return item
        return item.model_copy(update={"confidence": cap})

    return {name: capped(value) for name, value in fields.items()}, [capped(item) for item in line_items]
