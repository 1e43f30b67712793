"""https:// documents against a local HTTP server: redirects, byte cap, timeouts, retries, address guard."""

from __future__ import annotations

import ipaddress
import time

import pytest

from extraction.errors import DocumentError, ErrorCode
from extraction.remote.https_fetch import fetch_https, is_public_address
from extraction.settings.fetch import FetchSettings
from tests.support.remote_servers import doc_server  # noqa: F401  (fixture)

# Fetch tests talk to 127.0.0.1 over plain http, so both are explicitly allowed here.
OPEN = FetchSettings(allow_private=True, allow_http=True, connect_timeout_s=1, read_timeout_s=1, retries=0, backoff_s=0.01)
GUARDED = FetchSettings(allow_private=False, allow_http=True, connect_timeout_s=0.5, read_timeout_s=1, retries=0)


def _error(url, settings, **kwargs) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        fetch_https(url, settings, **kwargs)
    return info.value


def test_fetch_follows_relative_and_absolute_redirects(doc_server):
    assert fetch_https(doc_server.url("/redirect"), OPEN) == doc_server.body
    assert doc_server.hits == {"/redirect": 1, "/redirect-2": 1, "/doc": 1}


def test_redirect_loop_stops_after_the_limit(doc_server):
    settings = FetchSettings(**{**OPEN.__dict__, "max_redirects": 3})
    err = _error(doc_server.url("/loop"), settings)
    assert err.code == ErrorCode.FETCH_FAILED and "redirect" in err.message
    assert doc_server.hits["/loop"] == 4


def test_body_over_the_cap_is_stopped_early(doc_server):
    settings = FetchSettings(**{**OPEN.__dict__, "max_bytes": 100_000})
    started = time.monotonic()
    err = _error(doc_server.url("/big"), settings)
    assert err.code == ErrorCode.TOO_LARGE
    assert time.monotonic() - started < 5
    time.sleep(0.3)  # let the server notice the closed connection
    # The server had 64 MiB to send; socket buffers absorb a few MiB at most before it blocks.
    assert doc_server.sent["/big"] < 32 * 1024 * 1024


def test_declared_length_over_the_cap_is_refused_before_reading(doc_server):
    settings = FetchSettings(**{**OPEN.__dict__, "max_bytes": 100_000})
    err = _error(doc_server.url("/big-declared"), settings)
    assert err.code == ErrorCode.TOO_LARGE and "1073741824" in err.message


def test_slow_server_times_out(doc_server):
    started = time.monotonic()
    err = _error(doc_server.url("/slow"), FetchSettings(**{**OPEN.__dict__, "read_timeout_s": 0.5}))
    assert err.code == ErrorCode.FETCH_TIMEOUT
    assert time.monotonic() - started < 2.5


def test_transient_errors_are_retried_with_backoff(doc_server):
    settings = FetchSettings(**{**OPEN.__dict__, "retries": 2})
    assert fetch_https(doc_server.url("/flaky"), settings) == doc_server.body
    assert doc_server.hits["/flaky"] == 3


def test_transient_errors_give_up_after_the_retry_budget(doc_server):
    doc_server.flaky_failures = 10
    err = _error(doc_server.url("/flaky"), FetchSettings(**{**OPEN.__dict__, "retries": 1}))
    assert err.code == ErrorCode.FETCH_FAILED and "503" in err.message
    assert doc_server.hits["/flaky"] == 2


@pytest.mark.parametrize(("path", "code"), [("/missing", ErrorCode.NOT_FOUND), ("/forbidden", ErrorCode.ACCESS_DENIED)])
def test_permanent_errors_are_not_retried(doc_server, path, code):
    err = _error(doc_server.url(path), FetchSettings(**{**OPEN.__dict__, "retries": 3}))
    assert err.code == code
    assert doc_server.hits[path] == 1


def test_guard_refuses_loopback_before_connecting(doc_server):
    err = _error(doc_server.url("/doc"), GUARDED)
    assert err.code == ErrorCode.URL_NOT_ALLOWED
    assert doc_server.hits == {}


def _only_the_test_server(ip) -> bool:
    """The real policy, except that 127.0.0.1 (where the test server listens) counts as public."""
    return ip == ipaddress.ip_address("127.0.0.1") or is_public_address(ip)


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
def test_guard_is_reapplied_on_every_redirect_hop(doc_server, path):
    err = _error(doc_server.url(path), GUARDED, address_ok=_only_the_test_server)
    assert err.code == ErrorCode.URL_NOT_ALLOWED
    assert doc_server.hits == {path: 1}


def test_guard_is_reapplied_on_every_retry(doc_server, monkeypatch):
    # The name resolves to the test server for the first attempt (503), then to a private
    # address: the retry must be refused, not sent to the address the first check allowed.
    from extraction.remote import https_fetch

    answers = iter([[ipaddress.ip_address("127.0.0.1")], [ipaddress.ip_address("10.0.0.7")]])
    monkeypatch.setattr(https_fetch, "resolve", lambda host, port: next(answers))
    settings = FetchSettings(**{**GUARDED.__dict__, "retries": 2, "backoff_s": 0.01})
    err = _error(f"http://files.invalid:{doc_server.port}/flaky", settings, address_ok=_only_the_test_server)
    assert err.code == ErrorCode.URL_NOT_ALLOWED
    assert doc_server.hits == {"/flaky": 1}


def test_guard_off_follows_the_same_redirect(doc_server):
    # Control for the test above: with the guard off the hop is attempted (and fails to connect).
    err = _error(doc_server.url("/to-private"), OPEN)
    assert err.code == ErrorCode.FETCH_FAILED and "cannot connect" in err.message


def test_every_resolved_address_is_tried(doc_server, monkeypatch):
    from extraction.remote import https_fetch

    # A name that resolves to an address nobody listens on first, then the test server.
    monkeypatch.setattr(https_fetch, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.2"), ipaddress.ip_address("127.0.0.1")])
    assert fetch_https(f"http://files.invalid:{doc_server.port}/doc", OPEN) == doc_server.body


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),
    ],
)
def test_address_classification(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/x.pdf", "gopher://example.com/", "https://user:pw@example.com/x.pdf"],
)
def test_unsupported_schemes_and_userinfo_are_refused(url):
    err = _error(url, GUARDED)
    assert err.code == ErrorCode.URL_NOT_ALLOWED
    assert "pw@" not in err.message


def test_plain_http_is_refused_unless_allowed(doc_server):
    settings = FetchSettings(**{**OPEN.__dict__, "allow_http": False})
    err = _error(doc_server.url("/doc"), settings)
    assert err.code == ErrorCode.URL_NOT_ALLOWED and "ALLOW_HTTP_URLS" in err.message
    assert doc_server.hits == {}


def test_query_string_never_appears_in_errors(doc_server):
    err = _error(doc_server.url("/missing?X-Amz-Signature=deadbeefcafe&X-Amz-Credential=AKIAEXAMPLEKEY123"), OPEN)
    assert err.code == ErrorCode.NOT_FOUND
    assert "deadbeefcafe" not in err.message and "AKIAEXAMPLE" not in err.message
    assert "/missing" in err.message


@pytest.fixture()
def tls_server(tmp_path):
    pytest.importorskip("cryptography")
    from tests.support.remote_servers import DocServer, self_signed_certificate

    cert, key = self_signed_certificate(tmp_path, "localhost")
    server = DocServer(tls=(cert, key))
    yield server, cert
    server.stop()


def test_https_connects_to_the_checked_address_and_verifies_the_host_name(tls_server):
    server, cert = tls_server
    settings = FetchSettings(**{**OPEN.__dict__, "allow_http": False, "ca_bundle": cert})
    # "localhost" is resolved once, the connection goes to that address, and the
    # certificate is still checked against the name "localhost" (SNI included).
    assert fetch_https(server.url("/doc", host="localhost"), settings) == server.body


def test_https_certificate_for_another_name_is_refused_without_retries(tls_server):
    server, cert = tls_server
    settings = FetchSettings(**{**OPEN.__dict__, "allow_http": False, "ca_bundle": cert, "retries": 3})
    err = _error(server.url("/doc", host="127.0.0.1"), settings)  # the certificate names only "localhost"
    assert err.code == ErrorCode.FETCH_FAILED and "TLS" in err.message
    assert server.hits == {}


def test_https_with_an_untrusted_certificate_is_refused(tls_server):
    server, _ = tls_server
    settings = FetchSettings(**{**OPEN.__dict__, "allow_http": False})  # default CA bundle
    err = _error(server.url("/doc", host="localhost"), settings)
    assert err.code == ErrorCode.FETCH_FAILED
