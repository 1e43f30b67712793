"""Limits and settings read from the environment, with safe defaults.

Read once when the pipeline is built; each limit turns into a structured error code when
crossed (see ``extraction/errors.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Mapping


def env_number(
    name: str,
    default: float,
    *,
    kind: type = float,
    minimum: float | None = None,
    environ: Mapping[str, str] | None = None,
):
    """A numeric setting from the environment; a malformed or out-of-range value is an error
    naming the variable (a misconfigured worker should say so, not run with a silent default)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(float(raw)) if kind is int else float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name} must be a number, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ValueError(f"environment variable {name} must be at least {minimum:g}, got {raw!r}")
    return value


def env_int(name: str, default: int, *, minimum: int | None = None, environ: Mapping[str, str] | None = None) -> int:
    return env_number(name, default, kind=int, minimum=minimum, environ=environ)


def env_float(name: str, default: float, *, minimum: float | None = None, environ: Mapping[str, str] | None = None) -> float:
    return env_number(name, default, kind=float, minimum=minimum, environ=environ)


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, "").strip() or default


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
            kind = float if f.type in ("float", float) else int
            values[f.name] = env_number(env_name, f.default, kind=kind, minimum=1e-9, environ=environ)
        return cls(**values)
