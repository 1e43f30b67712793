"""Download a document from an https:// URL (presigned URLs included), safely.

Why hand-rolled on urllib3 rather than ``requests.get``: the address guard must hold for
the address actually connected to. The host is resolved once, every address is checked,
and the connection goes to that checked address (TLS still verified against the host
name), so a DNS answer cannot change between check and connect. Redirects are followed
here, one hop at a time, with the guard re-applied to each.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from extraction.backoff import backoff_delay
from extraction.errors import DocumentError, ErrorCode
from extraction.remote.redact import redact_url
from extraction.settings.fetch import FetchSettings

log = logging.getLogger(__name__)

_REDIRECTS = {301, 302, 303, 307, 308}
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
_CHUNK = 64 * 1024
_USER_AGENT = "receipt-extraction-worker/0.1"
_MAX_RETRY_WAIT_S = 30.0  # also caps a server's Retry-After

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(ip: Address) -> bool:
    """True only for globally routable unicast addresses.

    Loopback, private (RFC 1918, ULA), link-local (cloud metadata at 169.254.169.254),
    shared/CGNAT, multicast, reserved and unspecified addresses are refused; IPv4-mapped
    and 6to4-style IPv6 forms are judged by the IPv4 address they carry.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            return is_public_address(ip.sixtofour)
    return bool(ip.is_global) and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int) -> list[Address]:
    """All addresses the host name resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise DocumentError(ErrorCode.FETCH_FAILED, f"cannot resolve host {host!r}") from None
    seen: list[Address] = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    return seen


@dataclass
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: list[Address]


def _check_url(url: str, settings: FetchSettings, address_ok: Callable[[Address], bool]) -> _Target:
    """Validate scheme and host of one hop and pick the (checked) address to connect to."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DocumentError(ErrorCode.URL_NOT_ALLOWED, f"malformed URL {shown}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise DocumentError(ErrorCode.URL_NOT_ALLOWED, f"URL scheme {scheme!r} is not allowed ({shown}); use https:// or s3://")
    if scheme == "http" and not settings.allow_http:
        raise DocumentError(ErrorCode.URL_NOT_ALLOWED, f"plain http is not allowed ({shown}); use https:// or set ALLOW_HTTP_URLS=true")
    if parts.username or parts.password:
        raise DocumentError(ErrorCode.URL_NOT_ALLOWED, f"credentials inside the URL are not allowed ({shown})")
    host = parts.hostname
    if not host:
        raise DocumentError(ErrorCode.URL_NOT_ALLOWED, f"URL has no host ({shown})")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise DocumentError(ErrorCode.FETCH_FAILED, f"cannot resolve host {host!r}")
    if not settings.allow_private:
        blocked = [ip for ip in addresses if not address_ok(ip)]
        if blocked:
            raise DocumentError(
                ErrorCode.URL_NOT_ALLOWED,
                f"{shown} resolves to a private, loopback, link-local or reserved address; "
                "set ALLOW_PRIVATE_URLS=true only on trusted networks",
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(scheme, host, port, path, addresses)


def check_endpoint(url: str, settings: FetchSettings, address_ok: Callable[[Address], bool] = is_public_address) -> None:
    """Apply the scheme and address rules to a storage endpoint given by a job (``s3Config.endpointUrl``).

    Without this a job could point the worker's S3 client at an internal service. The
    endpoint is checked when the client is built; boto3 then resolves the name itself.
    """
    _check_url(url, settings, address_ok)


class _Transient(Exception):
    """A failure worth retrying; carries the error to raise if retries run out."""

    def __init__(self, error: DocumentError, retry_after: Optional[float] = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _pool(target: _Target, address: Address, settings: FetchSettings) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s)
    ip = str(address)
    if target.scheme == "https":
        kwargs = {}
        if settings.ca_bundle:
            kwargs["ca_certs"] = settings.ca_bundle
        else:
            try:
                import certifi

                kwargs["ca_certs"] = certifi.where()
            except ImportError:  # pragma: no cover - certifi comes with requests
                pass
        return urllib3.HTTPSConnectionPool(
            ip, target.port, timeout=timeout, retries=False, maxsize=1,
            cert_reqs="CERT_REQUIRED", server_hostname=target.host, assert_hostname=target.host, **kwargs,
        )
    return urllib3.HTTPConnectionPool(ip, target.port, timeout=timeout, retries=False, maxsize=1)


def _host_header(target: _Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _retry_after(value: Optional[str]) -> Optional[float]:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _open(target: _Target, settings: FetchSettings, shown: str) -> tuple[urllib3.HTTPConnectionPool, urllib3.BaseHTTPResponse]:
    """Send the GET to the first checked address that accepts a connection."""
    headers = {"Host": _host_header(target), "User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    failure: Optional[BaseException] = None
    for address in target.addresses:
        pool = _pool(target, address, settings)
        try:
            response = pool.urlopen(
                "GET", target.path, headers=headers,
                redirect=False, retries=False, preload_content=False, assert_same_host=False,
            )
            return pool, response
        except (NewConnectionError, ConnectTimeoutError) as exc:  # try the next address
            pool.close()
            failure = exc
            continue
        except ReadTimeoutError:
            pool.close()
            raise _Transient(DocumentError(ErrorCode.FETCH_TIMEOUT, f"{shown} did not answer in time")) from None
        except SSLError:
            pool.close()
            # Not transient: a certificate that does not verify will not verify on retry.
            raise DocumentError(ErrorCode.FETCH_FAILED, f"TLS verification failed for {shown}") from None
        except (HTTPError, OSError) as exc:
            pool.close()
            raise _Transient(DocumentError(ErrorCode.FETCH_FAILED, f"connection to {shown} failed ({type(exc).__name__})")) from None
    if isinstance(failure, ConnectTimeoutError) and not isinstance(failure, NewConnectionError):
        raise _Transient(DocumentError(ErrorCode.FETCH_TIMEOUT, f"connecting to {shown} timed out"))
    raise _Transient(DocumentError(ErrorCode.FETCH_FAILED, f"cannot connect to {shown}"))


def _one_attempt(url: str, settings: FetchSettings, address_ok: Callable[[Address], bool], deadline: float) -> bytes:
    """Follow redirects from ``url`` and read the body up to the cap; raise on any failure."""
    shown = redact_url(url)
    for _hop in range(settings.max_redirects + 1):
        target = _check_url(url, settings, address_ok)
        shown = redact_url(url)
        pool, response = _open(target, settings, shown)
        try:
            try:
                status = response.status
                if status in _REDIRECTS:
                    location = response.headers.get("Location")
                    if not location:
                        raise DocumentError(ErrorCode.FETCH_FAILED, f"{shown} redirected without a Location")
                    url = urljoin(url, location)
                    continue
                if status in (401, 403):
                    raise DocumentError(ErrorCode.ACCESS_DENIED, f"{shown} refused access (HTTP {status}); a presigned URL may have expired")
                if status in (404, 410):
                    raise DocumentError(ErrorCode.NOT_FOUND, f"{shown} was not found (HTTP {status})")
                if status in _TRANSIENT_STATUS:
                    raise _Transient(
                        DocumentError(ErrorCode.FETCH_FAILED, f"{shown} answered HTTP {status}"),
                        _retry_after(response.headers.get("Retry-After")),
                    )
                if status != 200:
                    raise DocumentError(ErrorCode.FETCH_FAILED, f"{shown} answered HTTP {status}")
                return _read_capped(response, shown, settings, deadline)
            finally:
                # Closing (not draining) drops the connection, so an oversized or slow
                # body stops here instead of being read to its end.
                response.close()
        finally:
            pool.close()
    raise DocumentError(ErrorCode.FETCH_FAILED, f"too many redirects (more than {settings.max_redirects}) from {shown}")


def _read_capped(response: urllib3.BaseHTTPResponse, shown: str, settings: FetchSettings, deadline: float) -> bytes:
    cap = settings.max_bytes
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise DocumentError(ErrorCode.TOO_LARGE, f"{shown} is {int(declared)} bytes, over the {cap}-byte limit (MAX_DOCUMENT_BYTES)")
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = response.read(min(_CHUNK, cap + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise DocumentError(ErrorCode.TOO_LARGE, f"{shown} is over the {cap}-byte limit (MAX_DOCUMENT_BYTES)")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise DocumentError(ErrorCode.FETCH_TIMEOUT, f"downloading {shown} took longer than {settings.total_timeout_s:g} s")
    except ReadTimeoutError:
        raise _Transient(DocumentError(ErrorCode.FETCH_TIMEOUT, f"{shown} stopped sending data")) from None
    except (ProtocolError, HTTPError, OSError) as exc:
        raise _Transient(DocumentError(ErrorCode.FETCH_FAILED, f"download from {shown} broke off ({type(exc).__name__})")) from None
    return b"".join(chunks)


def fetch_https(
    url: str,
    settings: Optional[FetchSettings] = None,
    *,
    address_ok: Callable[[Address], bool] = is_public_address,
) -> bytes:
    """The body of ``url``, at most ``settings.max_bytes`` bytes, or a :class:`DocumentError`.

    Transient failures (connection errors, timeouts, HTTP 408/425/429/5xx) are retried
    ``settings.retries`` times with exponential backoff and jitter; everything else fails
    at once. Messages name the URL without its query string.
    """
    settings = settings or FetchSettings.from_env()
    deadline = time.monotonic() + settings.total_timeout_s
    attempt = 0
    while True:
        try:
            return _one_attempt(url, settings, address_ok, deadline)
        except _Transient as transient:
            if attempt >= settings.retries or time.monotonic() >= deadline:
                raise transient.error from None
            delay = transient.retry_after
            if delay is None:
                delay = backoff_delay(attempt, settings.backoff_s, _MAX_RETRY_WAIT_S)
            delay = min(delay, _MAX_RETRY_WAIT_S, max(0.0, deadline - time.monotonic()))
            attempt += 1
            log.info("retrying %s in %.1f s after: %s", redact_url(url), delay, transient.error.message)
            time.sleep(delay)
