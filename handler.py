"""RunPod serverless worker: receipt and invoice extraction.

The pipeline (OCR engine + extractor) is built once, here at import time, so that every job
served by this process reuses the loaded models; CPU engines load in the background while the
worker registers and its first job downloads (that job waits for them where it needs them). A fault that leaves the process unusable (a
GPU error, an engine left broken) does not end the job: its output is still returned, with
``refresh_worker`` set so that RunPod replaces this worker once the output is delivered. Local
use::

    python handler.py                                  # runs test_input.json
    python handler.py --test_input '{"input": {...}}'  # runs one job
    python handler.py --rp_serve_api                   # dev server with /run and /runsync
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, Callable

# The SDK logs the whole job (inputs, credentials) at DEBUG: default to INFO unless asked.
os.environ.setdefault("RUNPOD_LOG_LEVEL", "INFO")

import runpod  # noqa: E402

from extraction.errors import is_fatal  # noqa: E402
from extraction.logs import setup_logging  # noqa: E402
from extraction.pipeline import JobInputError, Pipeline  # noqa: E402
from extraction.settings import SettingsError  # noqa: E402

log = logging.getLogger("handler")
try:
    setup_logging()
    PIPELINE = Pipeline.from_env(background=True)
except SettingsError as exc:  # a misconfigured worker says which variable, once, and stops
    log.critical("the worker cannot start, fix its environment: %s", exc)
    sys.exit(2)
_IN_WORKER = bool(os.environ.get("RUNPOD_WEBHOOK_GET_JOB"))  # set on RunPod, unset in local test modes
if _IN_WORKER:
    PIPELINE.start_readers()  # for jobs with several documents; they load in the background


def handler(job: dict[str, Any]) -> dict[str, Any]:
    """One job in, one output dict out; never raises (errors are returned, structured)."""

    def report_progress(done: int, total: int, result: Any) -> None:
        if _IN_WORKER and total > 1:
            runpod.serverless.progress_update(job, {"done": done, "total": total, "last_id": result.id, "last_status": result.status})

    try:
        output = PIPELINE.run_job(job.get("input"), job=job, progress=report_progress)
    except JobInputError as exc:
        output = {"error": str(exc)}
    except Exception as exc:
        if is_fatal(exc):
            error = PIPELINE.faults.trip(exc)
            output = {"error": f"{error.code.value}: {error.message}"}
        else:
            log.exception("job %s failed unexpectedly", job.get("id"))
            output = {"error": "internal_error: unexpected failure in the worker; retry, and report the job id if it persists"}
    if PIPELINE.faults.reason is not None:
        # The SDK pops this flag and sends the output with stopPod: RunPod delivers the result,
        # then replaces the worker (an exit here would lose the job's output).
        log.error("job %s: this worker can serve no more jobs (%s); asking RunPod to replace it", job.get("id"), PIPELINE.faults.reason)
        output["refresh_worker"] = True
    return output


def _printing(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Local test runs print the output as JSON on stdout (the SDK only logs a Python repr)."""

    def wrapped(job: dict[str, Any]) -> dict[str, Any]:
        result = fn(job)
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
        return result

    return wrapped


if __name__ == "__main__":
    local_test_run = not _IN_WORKER and "--rp_serve_api" not in sys.argv
    runpod.serverless.start({"handler": _printing(handler) if local_test_run else handler})
