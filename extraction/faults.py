"""Remembering a fault that leaves this process unusable (see :func:`extraction.errors.is_fatal`).

Once a GPU error or a broken engine has been seen, nothing more is sent to the engines: the
documents still waiting get ``worker_failed`` instead, the job's output is delivered, and the
handler asks RunPod to replace the worker (``refresh_worker``). Retrying on the same process
would only meet the same broken device, or hang on it.
"""

from __future__ import annotations

import logging
from typing import Optional

from extraction.errors import DocumentError, ErrorCode

log = logging.getLogger(__name__)


class FaultLatch:
    """Set once by the first fatal fault, never cleared: the process is replaced, not repaired."""

    def __init__(self) -> None:
        #: Why this process can serve no more documents, or None while it can.
        self.reason: Optional[str] = None

    def trip(self, exc: BaseException) -> DocumentError:
        """Record ``exc`` as the fault that ended this process's service; the error for its document."""
        if self.reason is None:
            log.critical("fatal fault: this process can serve no more documents", exc_info=exc)
            self.reason = f"{type(exc).__name__}: {exc}"[:300]
        return self.error()

    def error(self) -> DocumentError:
        """The error of a document that was not done because of the fault."""
        return DocumentError(ErrorCode.WORKER_FAILED, f"the worker stopped before this document was done ({self.reason}); retry it")
