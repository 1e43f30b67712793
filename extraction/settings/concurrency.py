"""How many documents of one job are read at once, ``DOCUMENT_CONCURRENCY``.

Why processes: the OCR runtimes release Python's lock while they infer, but a receipt still
spends a good part of its time in Python (box geometry, decoding, word boxes, the layout), which
threads in one process would run one at a time. ``benchmarks/bench_batch.py`` times both
(``worker`` and ``threads``) on one core and on all of them.
"""

from __future__ import annotations

import os
from typing import Optional

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings
from extraction.settings.types import WholeNumber

#: ``DOCUMENT_CONCURRENCY`` unset: one reader per core, at most this many (each holds its own models).
MAX_AUTO_READERS = 8


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


class ConcurrencySettings(Settings):
    """Reader processes of the worker (exact name, no prefix)."""

    model_config = SettingsConfigDict(env_prefix="")

    document_concurrency: Optional[WholeNumber] = Field(
        None,
        ge=1,
        description=(
            "documents of one job read at once, each in a reader process with one inference thread per core "
            "share (CPU OCR only; extraction stays in the worker); `1` = one after the other in the worker process"
        ),
        json_schema_extra={"shown_default": f"the usable cores (at most {MAX_AUTO_READERS})"},
    )

    reader_max_rss_mb: WholeNumber = Field(
        0,
        ge=0,
        description=(
            "a reader process whose resident memory is over this many MB after a document is replaced by a fresh "
            "one (OpenVINO keeps buffers for every page and line shape it has seen; a replacement costs a few "
            "seconds of start-up); `0` = never"
        ),
    )

    def readers(self) -> int:
        """Reader processes to use: the setting, else one per usable core."""
        if self.document_concurrency is not None:
            return self.document_concurrency
        return min(usable_cores(), MAX_AUTO_READERS)
