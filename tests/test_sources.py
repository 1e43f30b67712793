"""Base64 decoding: the forms people actually send, and clear errors for the rest."""

from __future__ import annotations

import base64

import pytest

from extraction.errors import DocumentError, ErrorCode
from extraction.schema import DocumentInput
from extraction.sources import SourceContext, decode_base64, read_document_bytes

PAYLOAD = bytes(range(256)) * 3
ENCODED = base64.b64encode(PAYLOAD).decode()


@pytest.mark.parametrize(
    "text",
    [
        ENCODED,
        "data:image/png;base64," + ENCODED,
        "data:application/pdf;name=x.pdf;base64," + ENCODED,
        "\n".join(ENCODED[i : i + 76] for i in range(0, len(ENCODED), 76)),  # MIME line breaks
        "  " + ENCODED + "\n",
        ENCODED.rstrip("="),  # missing padding
        base64.urlsafe_b64encode(PAYLOAD).decode(),
    ],
)
def test_accepted_base64_forms(text):
    assert decode_base64(text, max_bytes=10_000) == PAYLOAD


@pytest.mark.parametrize(
    "text, code",
    [
        ("", ErrorCode.EMPTY_DOCUMENT),
        ("   \n", ErrorCode.EMPTY_DOCUMENT),
        ("this is not base64!", ErrorCode.INVALID_BASE64),
        ("QUJD*REVG", ErrorCode.INVALID_BASE64),
        ("A", ErrorCode.INVALID_BASE64),
        ("data:image/png,rawbytes", ErrorCode.INVALID_BASE64),
        ("data:image/png;base64,", ErrorCode.EMPTY_DOCUMENT),
    ],
)
def test_rejected_base64_forms(text, code):
    with pytest.raises(DocumentError) as info:
        decode_base64(text, max_bytes=10_000)
    assert info.value.code == code


def test_size_cap_applies_before_and_after_decoding():
    with pytest.raises(DocumentError) as info:
        decode_base64(ENCODED, max_bytes=100)
    assert info.value.code == ErrorCode.TOO_LARGE


@pytest.mark.parametrize("url", ["ftp://example.com/a.pdf", "file:///etc/passwd", "http://127.0.0.1/a.pdf"])
def test_url_documents_with_disallowed_schemes_or_hosts_are_refused(url, monkeypatch):
    monkeypatch.delenv("ALLOW_PRIVATE_URLS", raising=False)
    monkeypatch.delenv("ALLOW_HTTP_URLS", raising=False)
    with pytest.raises(DocumentError) as info:
        read_document_bytes(DocumentInput(url=url), SourceContext())
    assert info.value.code == ErrorCode.URL_NOT_ALLOWED
