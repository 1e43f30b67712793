"""The rules extractor's learned candidate ranker: on, off, or another model folder.

Why a setting: the shipped model can be switched off to get the rules alone (for comparison or
if a model misbehaves on some documents), and a model trained on other data can be tried
without rebuilding the package (``builder/train_ranker.py --out DIR``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings


class RankerSettings(Settings):
    """``RANKER_*``: the candidate ranker of the rules extractor."""

    model_config = SettingsConfigDict(env_prefix="RANKER_")

    enabled: bool = Field(True, description="pick total, subtotal, tax, invoice and PO number with the learned ranker (the rules decide when off or when no model is found)")
    model_dir: Optional[Path] = Field(None, description="folder holding the ranker's ranker.json and <field>.onnx files (default: the model shipped in the package)")
