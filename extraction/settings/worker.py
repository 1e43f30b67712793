"""The worker as a whole: which engines run, how much it logs.

The engine names are the keys of ``extraction.engines``' registries (a test keeps both lists
equal); ``auto`` picks the first engine whose package and weights are present, GPU first.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings
from extraction.settings.types import LowerCase, UpperCase

OcrEngineName = Literal["auto", "paddle", "rapidocr"]
ExtractorName = Literal["auto", "tilt", "rules"]
#: The names Python's logging accepts.
LogLevel = Literal["CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"]


class WorkerSettings(Settings):
    """Engine choice and log level (exact names, no prefix)."""

    model_config = SettingsConfigDict(env_prefix="")

    ocr_engine: Annotated[OcrEngineName, LowerCase] = Field(
        "auto",
        description=(
            "`rapidocr` (CPU) or `paddle` (GPU); `auto` = the GPU engine when its package and weights are "
            "present, else `rapidocr`"
        ),
    )
    extractor: Annotated[ExtractorName, LowerCase] = Field(
        "auto",
        description="`rules` (CPU) or `tilt` (Arctic-TILT on GPU); `auto` = `tilt` when its vLLM fork and weights are present, else `rules`",
    )
    log_level: Annotated[LogLevel, UpperCase] = Field(
        "INFO", description="worker log level (`RUNPOD_LOG_LEVEL` for the SDK's own)"
    )
