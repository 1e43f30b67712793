"""Deprecated: environment helpers kept only for the TILT settings, which still import them.

Every other concern reads its settings through ``extraction.settings`` (one class per
concern, typed, a ``SettingsError`` naming the variable); the limits moved to
``extraction.settings.limits``. This module goes once the TILT settings move there too.
"""

from __future__ import annotations

import os
from typing import Mapping


def env_number(
    name: str,
    default: float,
    *,
    kind: type = float,
    minimum: float | None = None,
    environ: Mapping[str, str] | None = None,
):
    """Deprecated: use a field of an ``extraction.settings`` class.

    A numeric setting from the environment; a malformed or out-of-range value is an error
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
    """Deprecated: use a field of an ``extraction.settings`` class."""
    return env_number(name, default, kind=int, minimum=minimum, environ=environ)


def env_float(name: str, default: float, *, minimum: float | None = None, environ: Mapping[str, str] | None = None) -> float:
    """Deprecated: use a field of an ``extraction.settings`` class."""
    return env_number(name, default, kind=float, minimum=minimum, environ=environ)


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """Deprecated: use a field of an ``extraction.settings`` class."""
    environ = os.environ if environ is None else environ
    return environ.get(name, "").strip() or default
