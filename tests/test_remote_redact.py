"""No credential or presigned signature reaches logs, errors or output, on any path."""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid

import pytest

from extraction.settings.limits import Limits
from extraction.errors import DocumentError
from extraction.pipeline import Pipeline
from extraction.remote import fetch_url
from extraction.remote.https_fetch import fetch_https
from extraction.remote.redact import MASK, RedactingFilter, redact_text, redact_url, register_secret
from extraction.settings.fetch import FetchSettings
from tests.support.engines import FakeExtractor, FakeOcr
from tests.support.remote_servers import doc_server, moto_s3  # noqa: F401  (fixtures)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://b.s3.amazonaws.com/k.pdf?X-Amz-Signature=abc&X-Amz-Credential=AKIAX", "https://b.s3.amazonaws.com/k.pdf"),
        ("https://user:pass@example.com:8443/a/b.pdf#frag", "https://example.com:8443/a/b.pdf"),
        ("http://[::1]:9000/x?sig=1", "http://[::1]:9000/x"),
        ("s3://bucket/key.pdf", "s3://bucket/key.pdf"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "text, secret, kept",
    [
        ('GET /doc.pdf?X-Amz-Algorithm=AWS4&X-Amz-Signature=0badc0ffee11 HTTP/1.1" 200', "0badc0ffee11", f"X-Amz-Signature={MASK} HTTP/1.1"),
        ("Max retries exceeded with url: /k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=Zm9vYmFy", "Zm9vYmFy", f"&Signature={MASK}"),
        ("headers={'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, Signature=5ec7e7'}", "5ec7e7", f"'Authorization': b'{MASK}'"),
        ("key id AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE", f"key id {MASK} used"),
        ("{'accessSecret': 'wJalrXUtnFEMI/K7MDENG'}", "wJalrXUtnFEMI", f"'accessSecret': '{MASK}'"),
        ("see https://ops:hunter22@internal.example/x", "hunter22", "see https://internal.example/x"),
    ],
)
def test_redact_text(text, secret, kept):
    out = redact_text(text)
    assert secret not in out
    assert kept in out  # the rest of the message survives, so it still says what happened


def test_registered_secrets_are_masked_anywhere():
    register_secret("plain-words-secret-9")
    assert "plain-words-secret-9" not in redact_text("oops: plain-words-secret-9 printed")


def test_filter_redacts_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("redact-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("fetching %s", "https://h/x?X-Amz-Signature=s1gnature")
        try:
            raise RuntimeError("failed url /x?X-Amz-Signature=tr4ceback")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "https://h/x" in text and "RuntimeError" in text
    assert "s1gnature" not in text and "tr4ceback" not in text


@pytest.fixture()
def captured_logs():
    """Everything logged (DEBUG and up, botocore and urllib3 included) through a redacting handler,
    plus a raw handler without the filter, to show that the paths exercised really carry secrets."""
    root = logging.getLogger()
    filtered, raw = io.StringIO(), io.StringIO()
    safe_handler = logging.StreamHandler(filtered)
    safe_handler.addFilter(RedactingFilter())
    safe_handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    raw_handler = logging.StreamHandler(raw)
    old_level = root.level
    # The raw handler must see records before any redacting filter rewrites them in place
    # (the worker's own handler may already be installed on the root logger).
    root.handlers.insert(0, raw_handler)
    root.addHandler(safe_handler)
    root.setLevel(logging.DEBUG)
    try:
        yield filtered, raw
    finally:
        root.removeHandler(safe_handler)
        root.removeHandler(raw_handler)
        root.setLevel(old_level)


def test_no_secret_or_signature_in_logs_errors_or_output(moto_s3, doc_server, captured_logs, capfd, invoice_pdf, monkeypatch):
    filtered, raw = captured_logs
    client = moto_s3.client()
    prefix = f"secret-{uuid.uuid4().hex[:6]}/"
    client.put_object(Bucket=moto_s3.bucket, Key=prefix + "a.pdf", Body=invoice_pdf)
    # A real SigV4 presigned query (generated locally by botocore). moto in auth mode answers
    # presigned GETs with HTTP 500, so the query is served by the local HTTP server instead.
    query = client.generate_presigned_url("get_object", Params={"Bucket": moto_s3.bucket, "Key": prefix + "a.pdf"}, ExpiresIn=300)
    query = query.split("?", 1)[1]
    signature = query.split("X-Amz-Signature=")[1].split("&")[0]
    doc_server.body = invoice_pdf
    presigned = doc_server.url("/doc?" + query)
    tampered = doc_server.url("/forbidden?" + query.replace(signature, "f" * len(signature)))
    missing = doc_server.url("/missing?" + query)
    missing_sig = signature
    wrong_secret = "Wr0ngSecretValueForTheTest/abc"
    open_settings = FetchSettings(allow_private=True, allow_http=True, retries=1, backoff_s=0.01, read_timeout_s=2)
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")  # the local servers are trusted explicitly
    monkeypatch.setenv("ALLOW_HTTP_URLS", "true")
    outputs: list[str] = []

    # 1. presigned URL: success, tampered signature, missing object, flaky server with retries
    assert fetch_https(presigned, open_settings) == invoice_pdf
    for url in (tampered, missing, doc_server.url("/flaky?" + query)):
        doc_server.flaky_failures = 5
        with pytest.raises(DocumentError) as info:
            fetch_https(url, open_settings)
        outputs.append(json.dumps(info.value.to_dict()))

    # 2. s3:// with the right secret, a wrong one, and a missing key
    assert fetch_url(f"s3://{moto_s3.bucket}/{prefix}a.pdf", s3_config=moto_s3.s3_config) == invoice_pdf
    for config, key in ((dict(moto_s3.s3_config, accessSecret=wrong_secret), "a.pdf"), (moto_s3.s3_config, "nope.pdf")):
        with pytest.raises(DocumentError) as info:
            fetch_url(f"s3://{moto_s3.bucket}/{prefix}{key}", s3_config=config, settings=open_settings)
        outputs.append(json.dumps(info.value.to_dict()))

    # 3. whole jobs: mixed documents, output to S3, and a job whose output cannot be written
    pipeline = Pipeline(FakeOcr(), FakeExtractor(), Limits())
    job_docs = [
        {"id": "presigned", "url": presigned},
        {"id": "tampered", "url": tampered},
        {"id": "gone", "url": missing},
        {"id": "s3", "url": f"s3://{moto_s3.bucket}/{prefix}a.pdf"},
        {"id": "inline", "base64": base64.b64encode(invoice_pdf).decode()},
    ]
    result = pipeline.run_job({"documents": job_docs}, job={"id": "j1", "s3Config": moto_s3.s3_config})
    outputs.append(json.dumps(result))
    manifest = pipeline.run_job(
        {"documents": job_docs, "output": {"url": f"s3://{moto_s3.bucket}/{prefix}out/"}},
        job={"id": "j2", "s3Config": moto_s3.s3_config},
    )
    outputs.append(json.dumps(manifest))
    stored = client.get_object(Bucket=moto_s3.bucket, Key=manifest["documents"][1]["key"])["Body"].read().decode()
    outputs.append(stored)
    with pytest.raises(Exception) as info:
        pipeline.run_job(
            {"documents": job_docs[:1], "output": {"url": f"s3://{moto_s3.bucket}/{prefix}out2/"}},
            job={"s3Config": dict(moto_s3.s3_config, accessSecret=wrong_secret)},
        )
    outputs.append(str(info.value))

    printed = capfd.readouterr()
    everything = "\n".join([filtered.getvalue(), printed.out, printed.err, *outputs])
    assert result["summary"] == {"documents": 5, "succeeded": 3, "failed": 2}
    assert "X-Amz-Signature" in raw.getvalue() and signature in raw.getvalue()  # the raw records did carry it
    assert "Authorization" in raw.getvalue()  # botocore's request logging ran
    secrets = (signature, "f" * len(signature), missing_sig, moto_s3.secret, wrong_secret, moto_s3.access_id)
    assert [f"{secret[:6]}…" for secret in secrets if secret in everything] == []
    assert "retrying" in filtered.getvalue()  # the error paths did log
