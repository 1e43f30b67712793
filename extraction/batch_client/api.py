"""A small client for a RunPod serverless endpoint: submit with /run, poll /status, cancel.

The real API (``https://api.runpod.ai/v2/{endpoint_id}``) answers ``GET /status/{id}``; the
SDK's local dev server (``python handler.py --rp_serve_api``) only ``POST /status/{id}`` and
runs the job inside that call. The method is found once (GET, then POST on 405) and kept.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

RUNPOD_API = "https://api.runpod.ai/v2/{endpoint_id}"
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"})


class ApiError(Exception):
    """The endpoint could not be reached or refused the request (after HTTP-level retries)."""


@dataclass
class JobStatus:
    id: str
    status: str
    output: Any = None
    error: Any = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


class EndpointClient:
    def __init__(
        self,
        base_url: str,
        api_key: Optional[str] = None,
        *,
        request_timeout_s: float = 60.0,
        status_timeout_s: float = 3600.0,
        pool_size: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.request_timeout_s = request_timeout_s
        self.status_timeout_s = status_timeout_s
        self._status_method: Optional[str] = None
        self._lock = threading.Lock()
        self.http = requests.Session()
        # Connection errors and 429/502/503/504 are retried with backoff. POSTs are included:
        # those statuses mean the request was not taken (a read error on /run is not retried).
        retry = Retry(
            total=5, connect=5, read=0, status=5, backoff_factor=0.5,
            status_forcelist=(429, 502, 503, 504), allowed_methods=None, respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers["Content-Type"] = "application/json"
        if api_key:
            self.http.headers["Authorization"] = f"Bearer {api_key}"

    @classmethod
    def for_endpoint(cls, endpoint_id: str, api_key: Optional[str], **kwargs: Any) -> "EndpointClient":
        return cls(RUNPOD_API.format(endpoint_id=endpoint_id), api_key, **kwargs)

    def _json(self, response: requests.Response, what: str) -> dict[str, Any]:
        if response.status_code in (401, 403):
            raise ApiError(f"{what}: HTTP {response.status_code} (check RUNPOD_API_KEY)")
        if response.status_code >= 400:
            raise ApiError(f"{what}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise ApiError(f"{what}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise ApiError(f"{what}: unexpected answer")
        return body

    def submit(self, job_input: dict[str, Any], s3_config: Optional[dict[str, Any]] = None) -> str:
        """POST /run; returns the job id."""
        body: dict[str, Any] = {"input": job_input}
        if s3_config:
            body["s3Config"] = s3_config
        try:
            response = self.http.post(f"{self.base_url}/run", json=body, timeout=self.request_timeout_s)
        except requests.RequestException as exc:
            raise ApiError(f"/run: {type(exc).__name__}") from None
        answer = self._json(response, "/run")
        if not answer.get("id"):
            raise ApiError("/run: no job id in the answer")
        return str(answer["id"])

    def status(self, job_id: str) -> JobStatus:
        """One /status call (GET on RunPod, POST on the dev server, found on first use)."""
        url = f"{self.base_url}/status/{job_id}"
        method = self._status_method or "GET"
        try:
            response = self.http.request(method, url, timeout=self._status_timeout(method))
            if response.status_code == 405 and method == "GET":
                method = "POST"
                response = self.http.request(method, url, timeout=self._status_timeout(method))
        except requests.RequestException as exc:
            raise ApiError(f"/status: {type(exc).__name__}") from None
        answer = self._json(response, "/status")
        with self._lock:
            self._status_method = method
        return JobStatus(id=job_id, status=str(answer.get("status", "")), output=answer.get("output"), error=answer.get("error"))

    def _status_timeout(self, method: str) -> float:
        # The dev server runs the whole job inside POST /status.
        return self.status_timeout_s if method == "POST" else self.request_timeout_s

    def cancel(self, job_id: str) -> None:
        """Best effort; the dev server has no /cancel."""
        try:
            self.http.post(f"{self.base_url}/cancel/{job_id}", timeout=10)
        except requests.RequestException:
            pass

    def wait(self, job_id: str, *, timeout_s: float, poll_s: float = 1.0, max_poll_s: float = 10.0, stop: Optional[threading.Event] = None) -> JobStatus:
        """Poll until the job ends; a job still running after ``timeout_s`` is cancelled and reported TIMED_OUT."""
        deadline = time.monotonic() + timeout_s
        delay = poll_s
        while True:
            status = self.status(job_id)
            if status.done:
                return status
            if time.monotonic() > deadline:
                self.cancel(job_id)
                return JobStatus(job_id, "TIMED_OUT", error=f"still {status.status} after {timeout_s:g} s (client timeout)")
            if stop is not None and stop.wait(delay):
                self.cancel(job_id)
                return JobStatus(job_id, "CANCELLED", error="interrupted")
            elif stop is None:
                time.sleep(delay)
            delay = min(max_poll_s, delay * 1.5)
