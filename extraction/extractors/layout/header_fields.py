"""Where the vendor name starts, by the header-line classifier with the rules as fallback.

Why only the anchor row: the model and the rules then share everything else (joining the rows
of a name printed on two lines, cutting registration numbers, the address after it), so the
held-out measurements compare exactly one decision. Letting the model also choose the name's
extent and the address rows was measured worse on held-out shops (vendor F1 0.869 vs 0.927,
address 0.706 vs 0.764 on side B of sroie-by-shop): the rules' boundaries carry over better.
"""

from __future__ import annotations

from typing import Optional

from extraction.extractors.layout.header_model import HeaderModel, vendor_anchor
from extraction.extractors.layout.rows import PageLayout
from extraction.extractors.layout.vendor import header_block, row_scores

#: how much surer (probability points) the model must be of another row to overrule the rules;
#: margins 0.3 and 0.6 gave the same held-out scores
OVERRULE_MARGIN = 0.5


def learned_anchor(layout: PageLayout, model: Optional[HeaderModel]) -> Optional[tuple[int, float]]:
    """The header row the vendor name starts from and the model's probability for it, or None
    (no model, or an empty header): the rules' joining of name rows then starts there."""
    if model is None:
        return None
    header = header_block(layout)
    scores = row_scores(header)
    ranked = [i for i, score in enumerate(scores) if score is not None]
    rule_choice = max(ranked, key=lambda i: scores[i] or 0.0) if ranked else None
    return vendor_anchor(layout, model, rule_choice, len(header), OVERRULE_MARGIN)
