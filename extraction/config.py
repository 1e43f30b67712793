"""Limits and settings read from the environment, with safe defaults.

Read once when the pipeline is built; each limit turns into a structured error code when
crossed (see ``extraction/errors.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Mapping


def _env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(float(raw))
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ValueError(f"environment variable {name} must be positive, got {raw!r}")
    return value


def _env_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ValueError(f"environment variable {name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class Limits:
    """Resource limits; env var = field name upper-cased (e.g. ``MAX_PAGES``)."""

    max_document_bytes: int = 25 * 1024 * 1024
    max_job_bytes: int = 200 * 1024 * 1024
    max_documents_per_job: int = 1000
    max_pages: int = 50
    max_page_pixels: int = 40_000_000
    max_text_chars: int = 200_000
    document_timeout_s: float = 120.0
    extract_batch_size: int = 16

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            env_name = f.name.upper()
            if f.type in ("float", float):
                values[f.name] = _env_float(environ, env_name, f.default)
            else:
                values[f.name] = _env_int(environ, env_name, f.default)
        return cls(**values)
