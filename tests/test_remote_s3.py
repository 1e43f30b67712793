"""s3:// documents, prefix listing and result writing against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import uuid

import pytest

from extraction.settings.limits import Limits
from extraction.errors import DocumentError, ErrorCode
from extraction.remote import expand_documents, fetch_url
from extraction.remote.output import ResultWriter, safe_key_stem
from extraction.settings.fetch import FetchSettings
from extraction.schema import DocumentInput
from extraction.sources import SourceContext
from tests.support.remote_servers import moto_s3  # noqa: F401  (fixture)

# moto listens on http://127.0.0.1: the job's endpoint is allowed explicitly, as on a trusted network.
SETTINGS = FetchSettings(connect_timeout_s=2, read_timeout_s=5, retries=0, allow_private=True, allow_http=True)


@pytest.fixture(autouse=True)
def _trust_local_endpoints(monkeypatch):
    """For code paths that read the settings from the environment (prefix expansion)."""
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("ALLOW_HTTP_URLS", "true")


@pytest.fixture()
def prefix(moto_s3) -> str:
    """A fresh key prefix per test, so tests sharing one server do not collide."""
    return f"t-{uuid.uuid4().hex[:8]}/"


def _put(server, key: str, body: bytes) -> None:
    server.client().put_object(Bucket=server.bucket, Key=key, Body=body)


def test_get_object(moto_s3, prefix):
    _put(moto_s3, prefix + "a.pdf", b"%PDF-1.4 hello")
    data = fetch_url(f"s3://{moto_s3.bucket}/{prefix}a.pdf", s3_config=moto_s3.s3_config, settings=SETTINGS)
    assert data == b"%PDF-1.4 hello"


def test_bucket_name_from_s3config_fills_an_empty_bucket(moto_s3, prefix):
    _put(moto_s3, prefix + "b.pdf", b"%PDF-1.4 b")
    assert fetch_url(f"s3:///{prefix}b.pdf", s3_config=moto_s3.s3_config, settings=SETTINGS) == b"%PDF-1.4 b"


@pytest.mark.parametrize(
    ("endpoint", "allow_http"), [("http://127.0.0.1:9/", True), ("http://169.254.169.254/", True), ("http://s3.example.com/", False)]
)
def test_job_endpoint_is_guarded_like_a_url(moto_s3, endpoint, allow_http):
    config = dict(moto_s3.s3_config, endpointUrl=endpoint)
    settings = FetchSettings(retries=0, allow_private=False, allow_http=allow_http)
    with pytest.raises(DocumentError) as info:
        fetch_url(f"s3://{moto_s3.bucket}/x.pdf", s3_config=config, settings=settings)
    assert info.value.code == ErrorCode.URL_NOT_ALLOWED


def test_missing_key_is_not_found(moto_s3, prefix):
    with pytest.raises(DocumentError) as info:
        fetch_url(f"s3://{moto_s3.bucket}/{prefix}nope.pdf", s3_config=moto_s3.s3_config, settings=SETTINGS)
    assert info.value.code == ErrorCode.NOT_FOUND
    assert f"{prefix}nope.pdf" in info.value.message


def test_missing_bucket_is_not_found(moto_s3):
    with pytest.raises(DocumentError) as info:
        fetch_url("s3://no-such-bucket-here/x.pdf", s3_config=moto_s3.s3_config, settings=SETTINGS)
    assert info.value.code == ErrorCode.NOT_FOUND


@pytest.mark.parametrize("which", ["secret", "key-id"])
def test_wrong_credentials_are_access_denied(moto_s3, prefix, which):
    _put(moto_s3, prefix + "c.pdf", b"%PDF-1.4 c")
    config = dict(moto_s3.s3_config)
    if which == "secret":
        config["accessSecret"] = "wrong-secret-value-123"
    else:
        config["accessId"] = "AKIAWRONGWRONGWRONG1"
    with pytest.raises(DocumentError) as info:
        fetch_url(f"s3://{moto_s3.bucket}/{prefix}c.pdf", s3_config=config, settings=SETTINGS)
    assert info.value.code == ErrorCode.ACCESS_DENIED
    assert "wrong-secret-value-123" not in info.value.message


def test_object_over_the_cap_is_too_large(moto_s3, prefix):
    _put(moto_s3, prefix + "big.bin", b"z" * 50_000)
    settings = FetchSettings(**{**SETTINGS.__dict__, "max_bytes": 10_000})
    with pytest.raises(DocumentError) as info:
        fetch_url(f"s3://{moto_s3.bucket}/{prefix}big.bin", s3_config=moto_s3.s3_config, settings=settings)
    assert info.value.code == ErrorCode.TOO_LARGE


def test_bucket_env_variables_are_the_last_fallback(moto_s3, prefix, monkeypatch):
    _put(moto_s3, prefix + "env.pdf", b"%PDF-1.4 env")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("BUCKET_ENDPOINT_URL", moto_s3.endpoint)
    monkeypatch.setenv("BUCKET_ACCESS_KEY_ID", moto_s3.access_id)
    monkeypatch.setenv("BUCKET_SECRET_ACCESS_KEY", moto_s3.secret)
    assert fetch_url(f"s3://{moto_s3.bucket}/{prefix}env.pdf", settings=SETTINGS) == b"%PDF-1.4 env"


def _context(server, max_prefix_objects: int | None = None, monkeypatch=None) -> SourceContext:
    if max_prefix_objects is not None:
        monkeypatch.setenv("MAX_PREFIX_OBJECTS", str(max_prefix_objects))
    return SourceContext(limits=Limits(), s3_config=server.s3_config)


def test_prefix_expansion_recursive_and_flat(moto_s3, prefix):
    for key in ("a.pdf", "b.png", "sub/c.jpg", "sub/"):
        _put(moto_s3, prefix + key, b"" if key.endswith("/") else b"data")
    ctx = _context(moto_s3)
    docs, errors = expand_documents(
        [
            DocumentInput(base64="aGk="),
            DocumentInput(url=f"s3://{moto_s3.bucket}/{prefix}", recursive=True, id="night"),
            DocumentInput(url=f"s3://{moto_s3.bucket}/{prefix}"),
        ],
        ctx,
    )
    assert errors == {}
    assert docs[0].base64 == "aGk="
    assert [d.id for d in docs[1:4]] == ["night/a.pdf", "night/b.png", "night/sub/c.jpg"]
    assert docs[3].url == f"s3://{moto_s3.bucket}/{prefix}sub/c.jpg" and not docs[3].recursive
    # Without "recursive", only the objects directly under the prefix.
    assert [d.id for d in docs[4:]] == [prefix + "a.pdf", prefix + "b.png"]


def test_prefix_expansion_is_capped(moto_s3, prefix, monkeypatch):
    for i in range(5):
        _put(moto_s3, f"{prefix}{i}.pdf", b"x")
    docs, errors = expand_documents(
        [DocumentInput(url=f"s3://{moto_s3.bucket}/{prefix}", recursive=True), DocumentInput(base64="aGk=")],
        _context(moto_s3, 3, monkeypatch),
    )
    assert len(docs) == 2 and set(errors) == {0}
    assert errors[0].code == ErrorCode.TOO_MANY_DOCUMENTS


def test_prefix_listing_errors_stay_with_that_entry(moto_s3, prefix):
    bad = dict(moto_s3.s3_config, accessSecret="not-the-secret")
    docs, errors = expand_documents(
        [DocumentInput(url=f"s3://{moto_s3.bucket}/{prefix}", recursive=True)], SourceContext(s3_config=bad)
    )
    assert errors[0].code == ErrorCode.ACCESS_DENIED
    docs, errors = expand_documents(
        [DocumentInput(url=f"s3://{moto_s3.bucket}/{prefix}empty/", recursive=True)], _context(moto_s3)
    )
    assert errors[0].code == ErrorCode.NOT_FOUND


@pytest.mark.parametrize(
    "doc_id",
    ["../../etc/passwd", "a/b/../c", "..", ".hidden", "inv 01?.pdf", "a/b", "a_b", "日本語.pdf", "x" * 300, ""],
)
def test_safe_key_stems(doc_id):
    stem = safe_key_stem(doc_id)
    assert stem and ".." not in stem and "/" not in stem and not stem.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in stem)
    assert len(stem) <= 140
    assert safe_key_stem(doc_id) == stem  # deterministic: retries overwrite the same key


def test_ids_that_clean_up_alike_keep_distinct_keys():
    assert safe_key_stem("a/b") != safe_key_stem("a_b")
    assert safe_key_stem("invoice-001") == "invoice-001"


def test_results_and_manifest_written(moto_s3, prefix):
    writer = ResultWriter(f"s3://{moto_s3.bucket}/{prefix}out", s3_config=moto_s3.s3_config, job_id="job/1", settings=SETTINGS)
    results = [
        {"id": "../escape", "status": "ok", "fields": {"total": {"value": "1.00"}}},
        {"id": "dup", "status": "ok"},
        {"id": "dup", "status": "error", "error": {"code": "not_found", "message": "gone"}},
    ]
    entries = [writer.write(r) for r in results]
    manifest = writer.finish()
    client = moto_s3.client()
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=moto_s3.bucket, Prefix=prefix)["Contents"])
    assert all(k.startswith(prefix + "out/") for k in keys)
    assert len({e["key"] for e in entries}) == 3
    assert manifest["manifest_key"] in keys
    for entry, result in zip(entries, results):
        assert entry["written"] is True
        assert json.loads(client.get_object(Bucket=moto_s3.bucket, Key=entry["key"])["Body"].read()) == result
    stored = json.loads(client.get_object(Bucket=moto_s3.bucket, Key=manifest["manifest_key"])["Body"].read())
    assert stored["summary"] == {"documents": 3, "succeeded": 2, "failed": 1, "written": 3, "write_failed": 0}
    assert stored["documents"][2]["error"]["code"] == "not_found"


def test_write_failures_are_recorded_not_raised(moto_s3, prefix):
    bad = dict(moto_s3.s3_config, accessSecret="bad-secret-for-output")
    writer = ResultWriter(f"s3://{moto_s3.bucket}/{prefix}", s3_config=bad, settings=SETTINGS)
    entry = writer.write({"id": "a", "status": "ok"})
    manifest = writer.finish()
    assert entry["written"] is False and entry["output_error"]["code"] == "output_failed"
    assert manifest["summary"]["write_failed"] == 1 and manifest["manifest_error"]["code"] == "output_failed"
    assert "bad-secret-for-output" not in json.dumps(manifest)


@pytest.mark.parametrize("url", ["https://example.com/out/", "s3://bucket/a/../b/"])
def test_bad_output_urls_are_refused(url):
    with pytest.raises(DocumentError) as info:
        ResultWriter(url, client=object())
    assert info.value.code == ErrorCode.INVALID_INPUT


def test_only_s3_prefixes_expand():
    docs, errors = expand_documents([DocumentInput(url="https://files.example.com/inbox/", recursive=True)], SourceContext())
    assert len(docs) == 1 and errors[0].code == ErrorCode.INVALID_INPUT
