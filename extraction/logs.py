"""Logging set-up for the worker: one format, level from ``LOG_LEVEL``, records passed through
the redaction filter so that credentials and signed URLs never reach the logs."""

from __future__ import annotations

import logging
import os
import sys


def setup_logging(level: str | None = None) -> None:
    root = logging.getLogger()
    if getattr(root, "_extraction_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    from extraction.remote.redact import RedactingFilter

    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())
    root._extraction_configured = True  # type: ignore[attr-defined]
