"""Resource limits of one job and one document.

Read once when the pipeline is built; each limit turns into a structured error code when
crossed (see ``extraction/errors.py``), so a hostile or oversized input is refused early
instead of exhausting the worker. Every limit must be positive: a zero would refuse
everything, which is a misconfiguration and fails start-up instead.
"""

from __future__ import annotations

from typing import Mapping

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings, load_settings
from extraction.settings.types import WholeNumber

#: Shared with the fetch settings: one byte cap for inline and downloaded documents.
DEFAULT_MAX_DOCUMENT_BYTES = 25 * 1024 * 1024


class Limits(Settings):
    """Resource limits; env var = field name upper-cased (e.g. ``MAX_PAGES``)."""

    model_config = SettingsConfigDict(env_prefix="")

    max_document_bytes: WholeNumber = Field(DEFAULT_MAX_DOCUMENT_BYTES, gt=0, description="bytes per document")
    max_job_bytes: WholeNumber = Field(200 * 1024 * 1024, gt=0, description="bytes per job")
    max_documents_per_job: WholeNumber = Field(1000, gt=0, description="documents per job")
    max_pages: WholeNumber = Field(50, gt=0, description="pages per document (after `options.pages`)")
    max_page_pixels: WholeNumber = Field(
        40_000_000, gt=0, description="pixels per page; PDFs are rendered at a lower dpi to fit, JPEGs decoded at 1/2, 1/4 or 1/8 scale"
    )
    max_decoded_side: WholeNumber = Field(
        3000,
        gt=0,
        description=(
            "a JPEG page at least twice this long is decoded at 1/2, 1/4 or 1/8 scale, its long side kept at "
            "least this (OCR reads at most 2000 px; boxes are then in the decoded page's pixels and "
            "`page_corrections[].transform` maps the received image onto it)"
        ),
    )
    max_text_chars: WholeNumber = Field(
        200_000, gt=0, description="text read per document; the rest is dropped with a warning"
    )
    document_timeout_s: float = Field(
        120.0,
        gt=0,
        description=(
            "wall-clock budget per document in seconds (a page still in OCR at the deadline ends the "
            "document with `timeout`; the job goes on)"
        ),
    )
    extract_batch_size: WholeNumber = Field(16, gt=0, description="documents sent to the extractor together")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        """The limits from ``environ`` (default ``os.environ``); a bad value is a ``SettingsError``."""
        return load_settings(cls, environ)
