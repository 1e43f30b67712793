"""Limits for remote documents, read from the environment once per job.

Kept apart from the fetchers so tests can build a :class:`FetchSettings` directly
instead of patching environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class FetchSettings:
    """How much, how long and from where documents may be downloaded."""

    max_bytes: int = 50 * 1024 * 1024
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
            max_bytes=_env_int("MAX_DOCUMENT_BYTES", d.max_bytes),
            connect_timeout_s=_env_float("FETCH_CONNECT_TIMEOUT_S", d.connect_timeout_s),
            read_timeout_s=_env_float("FETCH_READ_TIMEOUT_S", d.read_timeout_s),
            total_timeout_s=_env_float("FETCH_TOTAL_TIMEOUT_S", d.total_timeout_s),
            retries=max(0, _env_int("FETCH_RETRIES", d.retries)),
            backoff_s=max(0.0, _env_float("FETCH_BACKOFF_S", d.backoff_s)),
            max_redirects=max(0, _env_int("FETCH_MAX_REDIRECTS", d.max_redirects)),
            allow_private=_env_bool("ALLOW_PRIVATE_URLS"),
            allow_http=_env_bool("ALLOW_HTTP_URLS"),
            max_prefix_objects=max(1, _env_int("MAX_PREFIX_OBJECTS", d.max_prefix_objects)),
            prefetch=max(1, _env_int("FETCH_CONCURRENCY", d.prefetch)),
            ca_bundle=os.environ.get("FETCH_CA_BUNDLE") or None,
        )
