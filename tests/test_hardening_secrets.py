"""Secrets sent with a job (PDF passwords, storage keys, signed URLs) never reach logs or output."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.logs import setup_logging
from extraction.pipeline import JobInputError, Pipeline
from tests.support.engines import FakeExtractor, FakeOcr
from tests.support.pdfs import encrypted_copy

PASSWORD = "pdf-pass-7f3a9c"
ACCESS_SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRET"
SIGNATURE = "X-Amz-Signature=ab12cd34ef56deadbeef"


def test_secrets_stay_out_of_logs_and_output(caplog, capsys):
    setup_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    pdf = base64.b64encode(encrypted_copy(samplegen.write_pdf([samplegen.invoice_page()]), PASSWORD, PASSWORD + "-owner")).decode()
    job = {
        "id": "job-1",
        "s3Config": {"accessId": "AKIAEXAMPLE", "accessSecret": ACCESS_SECRET, "bucketName": "b", "endpointUrl": "https://s3.example.com"},
        "input": {
            "documents": [
                {"id": "right", "base64": pdf, "password": PASSWORD},
                {"id": "wrong", "base64": pdf, "password": PASSWORD[::-1]},
                {"id": "signed", "url": f"https://127.0.0.1:1/x.pdf?{SIGNATURE}"},
                {"id": "bad", "base64": "not base64 at all %%%", "password": PASSWORD},
            ]
        },
    }
    output = Pipeline(FakeOcr(), FakeExtractor(), Limits()).run_job(job["input"], job=job)
    statuses = {d["id"]: d["status"] for d in output["documents"]}
    assert statuses == {"right": "ok", "wrong": "error", "signed": "error", "bad": "error"}
    with pytest.raises(JobInputError) as invalid:  # the job-level error message
        Pipeline.parse_job_input({"documents": [{"base64": pdf, "password": 1234, "secret_field": ACCESS_SECRET}]})
    captured = capsys.readouterr()
    everything = "\n".join([json.dumps(output), str(invalid.value), caplog.text, captured.out, captured.err])
    secrets = (PASSWORD, PASSWORD[::-1], ACCESS_SECRET, "ab12cd34ef56deadbeef")
    assert [secret for secret in secrets if secret in everything] == []
