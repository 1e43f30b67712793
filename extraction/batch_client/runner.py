"""Run a batch: group documents into jobs, keep N jobs in flight, retry, resume, write JSONL.

One output line per document, appended (and flushed) as soon as its job ends, so an
interrupted run loses at most the jobs that were in flight; the next run with the same
output file skips every document that already has a final line.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TextIO

from extraction.batch_client.api import ApiError, EndpointClient, JobStatus
from extraction.backoff import backoff_delay
from extraction.batch_client.inputs import BatchDocument, group_documents
from extraction.remote.redact import redact_text

log = logging.getLogger(__name__)

#: Error codes the client itself writes when a whole job failed; resume retries these.
CLIENT_CODES = frozenset({"job_failed", "job_timed_out", "submit_failed"})


@dataclass
class BatchOptions:
    batch_size: int = 8
    concurrency: int = 4
    retries: int = 2
    max_body_bytes: int = 9 * 1024 * 1024
    job_timeout_s: float = 3600.0
    poll_s: float = 1.0
    max_poll_s: float = 10.0
    backoff_s: float = 2.0
    retry_errors: bool = False
    job_input: dict[str, Any] = field(default_factory=dict)  # fields, queries, options, output
    s3_config: Optional[dict[str, Any]] = None


@dataclass
class BatchReport:
    """What a run did, printed as JSON at its end; ``failed`` decides the exit status."""

    documents: int = 0  # found in the inputs
    skipped: int = 0  # already final in the output file (resume)
    succeeded: int = 0  # ok lines written by this run
    failed: int = 0  # error lines written by this run
    jobs: int = 0  # jobs started (retries and documents split off a failing job included)
    job_retries: int = 0
    interrupted: bool = False  # stopped early (Ctrl-C): run the same command again to resume

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Job:
    documents: list[BatchDocument]
    attempt: int = 0
    split: bool = False  # already a single document split off a failing job


def read_done_ids(path: Path, retry_errors: bool = False) -> set[str]:
    """Ids whose latest line in ``path`` is final (ok, or a document error unless ``retry_errors``).

    Lines written by the client for failed jobs (``job_failed`` etc.) are never final. A
    half-written last line from an interrupted run is ignored.
    """
    latest: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return set()
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "id" in record:
                latest[str(record["id"])] = record
    done = set()
    for doc_id, record in latest.items():
        if record.get("status") == "ok":
            done.add(doc_id)
        elif not retry_errors and ((record.get("error") or {}).get("code") not in CLIENT_CODES):
            done.add(doc_id)
    return done


class _Writer:
    """Appends JSON lines under a lock, first repairing a missing final newline."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        needs_newline = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        self.fh: TextIO = path.open("a", encoding="utf-8")
        if needs_newline:
            self.fh.write("\n")
        self.lock = threading.Lock()

    def write(self, records: list[dict[str, Any]]) -> None:
        with self.lock:
            for record in records:
                self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _error_line(doc: BatchDocument, code: str, message: str, job_id: Optional[str] = None) -> dict[str, Any]:
    return {"id": doc.id, "status": "error", "error": {"code": code, "message": redact_text(message)[:500]}, "job_id": job_id}


def _lines_from_output(job: _Job, status: JobStatus) -> list[dict[str, Any]]:
    """One line per document of the job, from a full JobOutput or a manifest (output to S3)."""
    output = status.output if isinstance(status.output, dict) else {}
    results = output.get("documents")
    if not isinstance(results, list):
        return [_error_line(d, "job_failed", "the job output has no documents list", status.id) for d in job.documents]
    by_id: dict[str, dict[str, Any]] = {}
    for result in results:
        if isinstance(result, dict) and "id" in result:
            by_id.setdefault(str(result["id"]), result)
    lines = []
    for doc in job.documents:
        result = by_id.get(doc.id)
        if result is None:
            lines.append(_error_line(doc, "job_failed", "the job output has no result for this document", status.id))
        else:
            line = dict(result)
            line["job_id"] = status.id
            if "manifest_key" in output:
                line["output"] = output.get("output")
            lines.append(line)
    return lines


def run_batch(
    client: EndpointClient,
    documents: list[BatchDocument],
    output_path: Path,
    options: BatchOptions,
    *,
    progress: Optional[Any] = None,
    stop: Optional[threading.Event] = None,
    on_submitted: Optional[Callable[[str], None]] = None,
) -> BatchReport:
    """Send ``documents`` (minus those already final in ``output_path``) and record results."""
    stop = stop or threading.Event()
    report = BatchReport(documents=len(documents))
    done = read_done_ids(output_path, options.retry_errors)
    todo = [d for d in documents if d.id not in done]
    report.skipped = len(documents) - len(todo)
    groups, too_big = group_documents(todo, options.batch_size, options.max_body_bytes)
    writer = _Writer(output_path)
    if progress is not None:
        progress.reset(total=len(todo))

    def record(lines: list[dict[str, Any]]) -> None:
        writer.write(lines)
        for line in lines:
            if line.get("status") == "ok":
                report.succeeded += 1
            else:
                report.failed += 1
        if progress is not None:
            progress.update(len(lines))
            progress.set_postfix(ok=report.succeeded, failed=report.failed, refresh=False)

    record([
        _error_line(d, "too_large", f"{d.size} bytes is over the request body limit; upload it to S3 and pass its s3:// URL")
        for d in too_big
    ])

    def run_one(job: _Job) -> tuple[_Job, JobStatus]:
        if job.attempt:
            time.sleep(backoff_delay(job.attempt - 1, options.backoff_s, cap_s=60.0))
        if stop.is_set():
            return job, JobStatus("", "CANCELLED", error="interrupted")
        job_input = {**options.job_input, "documents": [d.to_job_document() for d in job.documents]}
        try:
            job_id = client.submit(job_input, options.s3_config)
        except ApiError as exc:
            return job, JobStatus("", "SUBMIT_FAILED", error=str(exc))
        if on_submitted is not None:
            on_submitted(job_id)
        try:
            status = client.wait(job_id, timeout_s=options.job_timeout_s, poll_s=options.poll_s, max_poll_s=options.max_poll_s, stop=stop)
        except ApiError as exc:
            status = JobStatus(job_id, "FAILED", error=str(exc))
        return job, status

    queue: list[_Job] = [_Job(g) for g in groups]
    in_flight: dict[Future, _Job] = {}
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency), thread_name_prefix="batch") as pool:
        try:
            while (queue or in_flight) and not stop.is_set():
                while queue and len(in_flight) < options.concurrency:
                    job = queue.pop(0)
                    in_flight[pool.submit(run_one, job)] = job
                    report.jobs += 1
                finished, _ = wait(list(in_flight), timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    in_flight.pop(future)
                    job, status = future.result()
                    if status.status == "COMPLETED":
                        record(_lines_from_output(job, status))
                        continue
                    if stop.is_set() and status.status == "CANCELLED":
                        continue
                    message = f"job {status.id or '(not submitted)'} {status.status}: {status.error or 'no detail'}"
                    log.warning("%s (%d documents, attempt %d)", redact_text(str(message))[:300], len(job.documents), job.attempt + 1)
                    if job.attempt < options.retries:
                        queue.append(_Job(job.documents, job.attempt + 1, job.split))
                        report.job_retries += 1
                    elif len(job.documents) > 1 and not job.split:
                        # Out of retries: run each document alone, so one poison document
                        # cannot keep its neighbours from completing.
                        queue.extend(_Job([d], 0, True) for d in job.documents)
                    else:
                        code = {"TIMED_OUT": "job_timed_out", "SUBMIT_FAILED": "submit_failed"}.get(status.status, "job_failed")
                        record([_error_line(d, code, message, status.id or None) for d in job.documents])
        except KeyboardInterrupt:
            stop.set()
        finally:
            if stop.is_set():
                report.interrupted = True
                for future in in_flight:
                    future.cancel()
            writer.close()
    return report
