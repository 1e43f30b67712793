"""Logging set-up for the worker: one format, level from ``LOG_LEVEL``, records passed through
the redaction filter so that credentials and signed URLs never reach the logs."""

from __future__ import annotations

import logging
import sys

from extraction.settings import load_settings
from extraction.settings.worker import WorkerSettings


def setup_logging(level: str | None = None) -> None:
    """Configure the root logger once; ``level`` wins over ``LOG_LEVEL`` (a bad one is a ``SettingsError``)."""
    root = logging.getLogger()
    if getattr(root, "_extraction_configured", False):
        return
    chosen = load_settings(WorkerSettings, **({"log_level": level} if level else {})).log_level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    from extraction.remote.redact import RedactingFilter

    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(chosen)
    root._extraction_configured = True  # type: ignore[attr-defined]
