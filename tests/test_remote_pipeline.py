"""Jobs that mix inline, S3 and HTTPS documents: prefixes, prefetch, failures kept apart, output to S3."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.pipeline import JobInputError, Pipeline
from extraction.schema import OutputManifest
from tests.support.engines import FakeExtractor, FakeOcr
from tests.support.remote_servers import doc_server, moto_s3  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _trust_local_endpoints(monkeypatch):
    """The S3 and HTTP servers listen on 127.0.0.1 over http: allowed explicitly here."""
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("ALLOW_HTTP_URLS", "true")


@pytest.fixture()
def pipeline():
    return Pipeline(FakeOcr(), FakeExtractor(), Limits(extract_batch_size=3))


@pytest.fixture()
def bucket_docs(moto_s3, invoice_pdf):
    """A prefix holding two good PDFs, one corrupt PDF and a nested PNG."""
    prefix = f"batch-{uuid.uuid4().hex[:8]}/"
    client = moto_s3.client()
    png = samplegen.image_bytes(samplegen.render_receipt(0.5), "PNG")
    for key, body in {"a.pdf": invoice_pdf, "b.pdf": invoice_pdf, "corrupt.pdf": b"%PDF-1.4\n" + b"\x00" * 200, "sub/r.png": png}.items():
        client.put_object(Bucket=moto_s3.bucket, Key=prefix + key, Body=body)
    return prefix


def test_mixed_batch_good_missing_corrupt_and_https(pipeline, moto_s3, bucket_docs, doc_server, invoice_pdf):
    doc_server.body = invoice_pdf
    b = moto_s3.bucket
    seen = []
    output = pipeline.run_job(
        {
            "documents": [
                {"id": "inline", "base64": base64.b64encode(invoice_pdf).decode()},
                {"url": f"s3://{b}/{bucket_docs}", "recursive": True},
                {"id": "missing", "url": f"s3://{b}/{bucket_docs}nope.pdf"},
                {"id": "web", "url": doc_server.url("/redirect")},
                {"id": "web-missing", "url": doc_server.url("/missing?X-Amz-Signature=abcdef0123")},
            ]
        },
        job={"id": "job-1", "s3Config": moto_s3.s3_config},
        progress=lambda done, total, result: seen.append((done, total, result.id)),
    )
    by_id = {d["id"]: d for d in output["documents"]}
    assert list(by_id) == [
        "inline", f"{bucket_docs}a.pdf", f"{bucket_docs}b.pdf", f"{bucket_docs}corrupt.pdf", f"{bucket_docs}sub/r.png",
        "missing", "web", "web-missing",
    ]
    statuses = {k: (v["status"], (v.get("error") or {}).get("code")) for k, v in by_id.items()}
    assert statuses == {
        "inline": ("ok", None),
        f"{bucket_docs}a.pdf": ("ok", None),
        f"{bucket_docs}b.pdf": ("ok", None),
        f"{bucket_docs}corrupt.pdf": ("error", "corrupt_document"),
        f"{bucket_docs}sub/r.png": ("ok", None),
        "missing": ("error", "not_found"),
        "web": ("ok", None),
        "web-missing": ("error", "not_found"),
    }
    assert output["summary"] == {"documents": 8, "succeeded": 5, "failed": 3}
    assert by_id[f"{bucket_docs}a.pdf"]["timings_ms"]["fetch"] >= 0
    assert "abcdef0123" not in json.dumps(output)
    assert [s[0] for s in seen] == list(range(1, 9)) and {s[1] for s in seen} == {8}


def test_prefix_listing_failure_fails_only_that_entry(pipeline, moto_s3, bucket_docs, invoice_pdf):
    bad = dict(moto_s3.s3_config, accessSecret="definitely-wrong")
    output = pipeline.run_job(
        {"documents": [{"id": "p", "url": f"s3://{moto_s3.bucket}/{bucket_docs}", "recursive": True},
                       {"id": "inline", "base64": base64.b64encode(invoice_pdf).decode()}]},
        job={"s3Config": bad},
    )
    assert [(d["id"], d["status"]) for d in output["documents"]] == [("p", "error"), ("inline", "ok")]
    assert output["documents"][0]["error"]["code"] == "access_denied"


def test_output_to_s3_returns_the_manifest(pipeline, moto_s3, bucket_docs):
    b = moto_s3.bucket
    out_prefix = f"results-{uuid.uuid4().hex[:6]}/"
    manifest = pipeline.run_job(
        {"documents": [{"url": f"s3://{b}/{bucket_docs}", "recursive": True}, {"id": "../../x", "url": f"s3://{b}/{bucket_docs}gone.pdf"}],
         "output": {"url": f"s3://{b}/{out_prefix}"}},
        job={"id": "job-42", "s3Config": moto_s3.s3_config},
    )
    OutputManifest.model_validate(manifest)
    assert manifest["summary"]["documents"] == 5
    assert manifest["summary"]["succeeded"] == 3 and manifest["summary"]["failed"] == 2
    assert manifest["summary"]["written"] == 5
    client = moto_s3.client()
    stored = {o["Key"] for o in client.list_objects_v2(Bucket=b, Prefix=out_prefix)["Contents"]}
    assert {e["key"] for e in manifest["documents"]} | {manifest["manifest_key"]} == stored
    assert all(".." not in k for k in stored)
    entry = next(e for e in manifest["documents"] if e["id"] == "../../x")
    assert entry["error"]["code"] == "not_found"
    full = json.loads(client.get_object(Bucket=b, Key=entry["key"])["Body"].read())
    assert full["id"] == "../../x" and full["status"] == "error"
    assert "fields" not in manifest["documents"][0]  # the job output stays small


def test_unwritable_output_fails_the_job_at_the_first_document(pipeline, moto_s3, bucket_docs):
    with pytest.raises(JobInputError) as info:
        pipeline.run_job(
            {"documents": [{"url": f"s3://{moto_s3.bucket}/{bucket_docs}", "recursive": True}],
             "output": {"url": "s3://no-such-output-bucket/x/"}},
            job={"s3Config": moto_s3.s3_config},
        )
    assert info.value.code.value == "output_failed"


def test_invalid_output_url_is_a_job_error(pipeline, invoice_pdf):
    with pytest.raises(JobInputError) as info:
        pipeline.run_job({"document": {"base64": base64.b64encode(invoice_pdf).decode()}, "output": {"url": "https://x.example/out/"}})
    assert info.value.code.value == "invalid_input"
