"""The worker driven for real through the runpod SDK: --test_input and the local API server."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from extraction import samplegen
from tests.support.paths import ROOT
from tests.support.servers import dev_server, worker_env

requests = pytest.importorskip("requests")


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
        cwd=ROOT, env=worker_env(), capture_output=True, text=True, timeout=120,
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
        cwd=ROOT, env=worker_env(), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "invalid_input" in proc.stdout + proc.stderr
    assert "document.bogus" in proc.stdout + proc.stderr


def test_local_api_server_runsync(receipt_image):
    png = base64.b64encode(samplegen.image_bytes(receipt_image, "PNG")).decode()
    job = {"input": {"documents": [{"id": "r", "base64": png}, {"id": "bad", "base64": "bm90IGFuIGltYWdl"}], "fields": ["total", "date"]}}
    with dev_server() as base_url:
        url = f"{base_url}/runsync"
        response = requests.post(url, json=job, timeout=60)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "COMPLETED", body
        documents = {d["id"]: d for d in body["output"]["documents"]}
        assert documents["r"]["fields"]["total"]["value"] == "15.90"
        assert documents["bad"]["error"]["code"] == "unsupported_format"
        bad = requests.post(url, json={"input": {"documents": "nope"}}, timeout=60).json()
        assert bad["status"] == "FAILED" and "invalid_input" in json.dumps(bad)
