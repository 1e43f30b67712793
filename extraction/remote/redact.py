"""Keep credentials and presigned signatures out of logs, error messages and output.

A presigned URL *is* a credential until it expires, so every URL that may be shown is
reduced to scheme, host, port and path. Secrets that arrive with a job (``s3Config``) are
registered here so the logging filter can mask them even if some library prints them.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# Query parameters and header-like fragments that carry signatures or keys in free text.
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Any URL: drop userinfo and everything from '?' on (query) and '#' (fragment).
    re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^/\s@?#]*@)?(?P<rest>[^\s?#'\"<>]*)(?:[?#][^\s'\"<>]*)?"),
    # Signature / credential fragments outside a full URL (e.g. an urllib3 "url: /key?..." message).
    re.compile(
        r"(?i)(?P<name>x-amz-(?:signature|credential|security-token)|signature|awsaccesskeyid|"
        r"access_?key(?:_?id)?|secret(?:_?access)?(?:_?key)?|accesssecret|accessid|token|sig)"
        r"(?P<sep>['\"]?\s*[=:]\s*b?['\"]?)(?P<value>[^\s&'\",;}]+)"
    ),
    # AWS access key ids.
    re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b"),
    # Authorization headers (SigV4 or bearer).
    re.compile(r"(?i)(?P<name>authorization)(?P<sep>['\"]?\s*[=:]\s*b?['\"]?)(?P<value>[^'\"\n]+)"),
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask this exact string in every redacted text from now on (e.g. a job's accessSecret)."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact_url(url: str) -> str:
    """``https://user:pw@host/p?X-Amz-Signature=..`` -> ``https://host/p`` (safe to show)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme:
        return redact_text(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _sub(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if "scheme" in groups and groups.get("scheme"):
        return f"{groups['scheme']}{groups['rest']}"
    if groups.get("name") is not None:
        return f"{groups['name']}{groups['sep']}{MASK}"
    return MASK


def redact_text(text: str) -> str:
    """Mask URLs' queries and userinfo, signature/key fragments and registered secrets."""
    if not text:
        return text
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_sub, text)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that rewrites each record's message and traceback through :func:`redact_text`.

    It sits on handlers (not loggers) so that records propagated from any library logger
    (botocore, urllib3, runpod) pass through it before being written.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: keep the raw template only
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` to every handler of ``logger`` (default: root).

    If the logger has no handler yet, a stderr handler is added so that the filter has a
    place to live (``logging.lastResort`` would bypass filters).
    """
    target = logger or logging.getLogger()
    existing = [f for h in target.handlers for f in h.filters if isinstance(f, RedactingFilter)]
    flt = existing[0] if existing else RedactingFilter()
    if not target.handlers:
        target.addHandler(logging.StreamHandler())
    for handler in target.handlers:
        if flt not in handler.filters:
            handler.addFilter(flt)
    return flt
