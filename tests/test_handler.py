"""The worker driven for real through the runpod SDK: --test_input and the local API server."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from extraction import samplegen
from tests.conftest import ROOT

requests = pytest.importorskip("requests")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNPOD_")}
    env.update({"OCR_ENGINE": "rapidocr", "EXTRACTOR": "rules", "PYTHONUNBUFFERED": "1"})
    return env


def _json_from_stdout(stdout: str) -> dict:
    """The handler prints the job output as indented JSON; SDK log lines surround it."""
    start = stdout.index("{\n")
    decoder = json.JSONDecoder()
    value, _ = decoder.raw_decode(stdout[start:])
    return value


def test_test_input_runs_one_job_and_prints_json(invoice_pdf):
    job = {"input": {"document": {"id": "inv", "base64": base64.b64encode(invoice_pdf).decode()}, "fields": ["invoice_number", "total"]}}
    proc = subprocess.run(
        [sys.executable, "handler.py", "--test_input", json.dumps(job)],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    output = _json_from_stdout(proc.stdout)
    document = output["documents"][0]
    assert document["id"] == "inv" and document["status"] == "ok"
    assert document["fields"]["invoice_number"]["value"] == "INV-2024-0042"
    assert document["fields"]["total"]["value"] == "355.20"


def test_invalid_job_fails_with_a_clear_message():
    proc = subprocess.run(
        [sys.executable, "handler.py", "--test_input", json.dumps({"input": {"document": {"base64": "QQ==", "bogus": 1}}})],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "invalid_input" in proc.stdout + proc.stderr
    assert "document.bogus" in proc.stdout + proc.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_local_api_server_runsync(receipt_image):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "handler.py", "--rp_serve_api", "--rp_api_port", str(port), "--rp_api_host", "127.0.0.1"],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/runsync"
        deadline = time.time() + 90
        png = base64.b64encode(samplegen.image_bytes(receipt_image, "PNG")).decode()
        job = {"input": {"documents": [{"id": "r", "base64": png}, {"id": "bad", "base64": "bm90IGFuIGltYWdl"}], "fields": ["total", "date"]}}
        while True:
            try:
                response = requests.post(url, json=job, timeout=60)
                break
            except requests.ConnectionError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "COMPLETED", body
        documents = {d["id"]: d for d in body["output"]["documents"]}
        assert documents["r"]["fields"]["total"]["value"] == "15.90"
        assert documents["bad"]["error"]["code"] == "unsupported_format"
        bad = requests.post(url, json={"input": {"documents": "nope"}}, timeout=60).json()
        assert bad["status"] == "FAILED" and "invalid_input" in json.dumps(bad)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
