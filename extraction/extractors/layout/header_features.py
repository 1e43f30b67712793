"""Per-row features of a page's header, shared by training and inference.

Why one function: the header-line classifier (:mod:`.header_model`) is trained offline by
``builder/train_header_classifier.py`` on these exact numbers; computing them in one place
means the shipped model can never see features shaped differently from those it learnt on.

The features say what makes a header row a shop name or part of its address on any receipt,
not which names were seen before: where the row sits (rank, height on the page), how it is
printed (type size against the page's median, capitals, digits, centred or not), which cues it
carries (a company suffix from the multilingual lexicon, street/postcode cues, a phone, a
registration or tax id, a date, an amount, a title) and what its neighbours are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median
from typing import Sequence

from extraction.extractors.layout.header_lines import (
    POSTCODE,
    REG_NO,
    address_score,
    is_id_line,
    is_stop_line,
    is_title,
    street_or_postcode,
)
from extraction.extractors.layout.labels import money_in
from extraction.extractors.layout.lexicon import find_keyword, fold, has_keyword
from extraction.extractors.layout.rows import PageLayout, Row
from extraction.extractors.layout.vendor import header_block, row_scores
from extraction.normalize.dates import find_dates
from extraction.normalize.times import find_times

#: rows of the first page the classifier looks at (SROIE-style headers are 3-12 rows)
MAX_HEADER_ROWS = 20

_PHONE = re.compile(r"\+?\d[\d\s\-()]{7,}\d")

#: per-row cue features (their neighbours' values are features too)
_CUES = ("suffix", "address", "postcode", "street", "id", "stop", "contact", "phone", "date", "money", "title", "boilerplate")

FEATURE_NAMES: tuple[str, ...] = (
    "rank", "rank_rel", "top_rel", "height_page", "height_header_max", "height_rank",
    "chars", "words", "letter_ratio", "digit_ratio", "upper_ratio", "punct_ratio", "comma",
    "segments", "centre_offset", "width_rel", "left_rel",
    "ends_amp", "starts_amp", "ends_comma", "paren", "ocr_conf",
    *_CUES,
    *(f"prev_{c}" for c in _CUES), *(f"next_{c}" for c in _CUES), *(f"next2_{c}" for c in _CUES),
    "prev_height", "next_height", "gap_above", "gap_below",
    "rows_to_first_address", "rows_after_first_suffix", "rows_to_first_stop", "before_first_stop",
    "is_tallest", "in_rule_header", "rule_score", "rule_rank",
)


def header_rows(layout: PageLayout) -> list[Row]:
    """The rows the classifier scores: the first page's first :data:`MAX_HEADER_ROWS` rows."""
    if not layout.rows:
        return []
    first_page = layout.rows[0].page
    return [r for r in layout.rows if r.page == first_page][:MAX_HEADER_ROWS]


@dataclass(frozen=True)
class _RowText:
    """A row's text with its folded form computed once (the cue tests read it many times)."""

    text: str
    folded: str


def _cues(full_row: Row) -> list[float]:
    text = full_row.text
    folded = fold(text)
    row = _RowText(text, folded)
    return [
        float(find_keyword(folded, "company_suffix") is not None),
        min(address_score(row), 4.0),
        float(bool(POSTCODE.search(text))),
        float(street_or_postcode(row)),
        float(is_id_line(row) or bool(REG_NO.match(text.strip()))),
        float(is_stop_line(row)),
        float(has_keyword(folded, "contact")),
        float(bool(_PHONE.search(text))),
        float(bool(find_dates(text) or find_times(text))),
        float(bool(money_in(text))),
        float(is_title(row)),
        float(has_keyword(folded, "boilerplate")),
    ]


def header_features(layout: PageLayout, rows: Sequence[Row] | None = None) -> list[list[float]]:
    """One feature vector (in :data:`FEATURE_NAMES` order) per row of :func:`header_rows`."""
    rows = list(header_rows(layout) if rows is None else rows)
    if not rows:
        return []
    page = rows[0].page
    page_h = max(layout.page_height.get(page, 1.0), 1.0)
    page_w = max(layout.page_width.get(page, 1.0), 1.0)
    page_median = median(s.height for s in layout.segs if s.page == page) or 1.0
    heights = [r.height for r in rows]
    tallest = max(heights)
    ordered = sorted(heights, reverse=True)
    cues = [_cues(r) for r in rows]
    none = [0.0] * len(_CUES)
    n = len(rows)
    first_address = next((i for i, c in enumerate(cues) if c[1] >= 1.0), n)
    first_suffix = next((i for i, c in enumerate(cues) if c[0] > 0), -1)
    first_stop = next((i for i, c in enumerate(cues) if c[5] > 0 or c[8] > 0 or c[9] > 0), n)
    rule_header = header_block(layout)
    rule_scores = row_scores(rule_header) if rule_header and rule_header[0] is rows[0] else []
    scored = sorted((s for s in rule_scores if s is not None), reverse=True)
    out: list[list[float]] = []
    for i, row in enumerate(rows):
        rule = rule_scores[i] if i < len(rule_scores) else None
        text = row.text.strip()
        chars = max(len(text.replace(" ", "")), 1)
        letters = sum(ch.isalpha() for ch in text)
        digits = sum(ch.isdigit() for ch in text)
        upper = sum(ch.isupper() for ch in text)
        punct = sum(not ch.isalnum() and not ch.isspace() for ch in text)
        x1, y1, x2, y2 = row.bbox
        prev_row = rows[i - 1] if i > 0 else None
        next_row = rows[i + 1] if i + 1 < n else None
        conf = min((s.line.confidence for s in row.segs), default=1.0)
        features = [
            float(i), i / max(n - 1, 1), y1 / page_h, row.height / page_median, row.height / tallest,
            float(ordered.index(row.height)),
            float(chars), float(len(text.split())), letters / chars, digits / chars, upper / max(letters, 1), punct / chars,
            float(text.count(",")),
            float(len(row.segs)), abs((x1 + x2) / 2 - page_w / 2) / page_w, (x2 - x1) / page_w, x1 / page_w,
            float(text.endswith(("&", "-"))), float(text.startswith("&")), float(text.endswith(",")),
            float("(" in text or ")" in text), float(conf),
            *cues[i],
            *(cues[i - 1] if i > 0 else none), *(cues[i + 1] if i + 1 < n else none), *(cues[i + 2] if i + 2 < n else none),
            prev_row.height / row.height if prev_row else 0.0,
            next_row.height / row.height if next_row else 0.0,
            (row.top - prev_row.bottom) / page_median if prev_row else -1.0,
            (next_row.top - row.bottom) / page_median if next_row else -1.0,
            float(first_address - i), float(i - first_suffix) if first_suffix >= 0 else -99.0, float(first_stop - i),
            float(i < first_stop), float(row.height == tallest),
            float(i < len(rule_scores)), rule if rule is not None else -5.0, float(scored.index(rule)) if rule is not None else 20.0,
        ]
        out.append(features)
    return out


def feature_count() -> int:
    return len(FEATURE_NAMES)
