"""The header-line classifier of the CPU extractor, ``HEADER_MODEL_*``.

Off by default, on purpose: on the held-out shops of ``eval/splits/sroie-by-shop.json`` the
shipped model picks the same vendor rows as the rules (vendor F1 0.927 both ways on side B,
0.904 on side A with a model fitted on side B), at a few milliseconds per page; see
docs/rules.md. ``anchor`` lets it overrule the rules' choice of the vendor row when it is much
surer of another.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings
from extraction.settings.types import LowerCase


class HeaderModelSettings(Settings):
    """Whether and which learned header-line classifier the rules extractor consults."""

    model_config = SettingsConfigDict(env_prefix="HEADER_MODEL_")

    mode: Annotated[Literal["off", "anchor"], LowerCase] = Field(
        "off",
        description=(
            "`anchor`: on OCR pages the header-line classifier may overrule the rules' choice of the "
            "vendor-name row; `off`: the rules alone decide"
        ),
    )
    path: Optional[str] = Field(
        None,
        description="an ONNX header-line classifier (from `builder/train_header_classifier.py`) instead of the shipped one",
    )
