"""Servers the tests start as child processes: a free port, waiting until one answers, stopping
it, and the worker's own dev server (``python handler.py --rp_serve_api``) on the CPU engines."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

from tests.support.paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout_s: float, poll_s: float = 0.1) -> None:
    """Return once ``url`` answers at all; kill ``process`` and raise if it exits or the time runs out."""
    import requests

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"the server behind {url} did not start") from None
            time.sleep(poll_s)


def stop_process(process: subprocess.Popen, timeout_s: float = 10) -> None:
    """Ask a server process to end, and kill it if it does not within ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()


def worker_env(**extra: str) -> dict[str, str]:
    """The environment for a worker child process: CPU engines, no RunPod settings of this shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNPOD_")}
    env.update({"OCR_ENGINE": "rapidocr", "EXTRACTOR": "rules", "PYTHONUNBUFFERED": "1", **extra})
    return env


@contextmanager
def dev_server(**env: str) -> Iterator[str]:
    """The worker's local API server (``/run``, ``/runsync``, ``/status``) on a free port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "handler.py", "--rp_serve_api", "--rp_api_port", str(port), "--rp_api_host", "127.0.0.1"],
        cwd=ROOT, env=worker_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/openapi.json", process, timeout_s=120, poll_s=0.3)
        yield url
    finally:
        stop_process(process)
