"""Limits for remote documents, read from the environment once per job.

Kept apart from the fetchers so tests can build a :class:`FetchSettings` directly
instead of patching environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from extraction.config import Limits, env_bool, env_float, env_int


@dataclass(frozen=True)
class FetchSettings:
    """How much, how long and from where documents may be downloaded."""

    max_bytes: int = Limits.max_document_bytes  # one byte cap for inline and fetched documents
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    total_timeout_s: float = 120.0
    retries: int = 2
    backoff_s: float = 0.5
    max_redirects: int = 5
    allow_private: bool = False
    allow_http: bool = False
    max_prefix_objects: int = 1000
    prefetch: int = 4
    ca_bundle: Optional[str] = None

    @classmethod
    def from_env(cls) -> "FetchSettings":
        """Environment variables (all optional); see docs/batch.md for the table."""
        d = cls()
        return cls(
            max_bytes=env_int("MAX_DOCUMENT_BYTES", d.max_bytes, minimum=1),
            connect_timeout_s=env_float("FETCH_CONNECT_TIMEOUT_S", d.connect_timeout_s, minimum=0.001),
            read_timeout_s=env_float("FETCH_READ_TIMEOUT_S", d.read_timeout_s, minimum=0.001),
            total_timeout_s=env_float("FETCH_TOTAL_TIMEOUT_S", d.total_timeout_s, minimum=0.001),
            retries=env_int("FETCH_RETRIES", d.retries, minimum=0),
            backoff_s=env_float("FETCH_BACKOFF_S", d.backoff_s, minimum=0.0),
            max_redirects=env_int("FETCH_MAX_REDIRECTS", d.max_redirects, minimum=0),
            allow_private=env_bool("ALLOW_PRIVATE_URLS"),
            allow_http=env_bool("ALLOW_HTTP_URLS"),
            max_prefix_objects=env_int("MAX_PREFIX_OBJECTS", d.max_prefix_objects, minimum=1),
            prefetch=env_int("FETCH_CONCURRENCY", d.prefetch, minimum=1),
            ca_bundle=os.environ.get("FETCH_CA_BUNDLE") or None,
        )
