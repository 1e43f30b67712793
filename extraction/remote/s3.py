"""S3 (and S3-compatible stores): credentials, streamed capped reads, prefix listing, JSON writes.

Credentials, in order: the job's ``s3Config`` (RunPod passes it beside ``input``); the
standard AWS chain (env, shared config, instance role); the RunPod-style
``BUCKET_ENDPOINT_URL`` / ``BUCKET_ACCESS_KEY_ID`` / ``BUCKET_SECRET_ACCESS_KEY``. boto3 is
imported lazily so that base64-only installs never pay for it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from extraction.errors import DocumentError, ErrorCode
from extraction.remote.redact import register_secret
from extraction.settings.fetch import BucketSettings, FetchSettings

log = logging.getLogger(__name__)

_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NotFound", "404", "NoSuchVersion"}
_DENIED = {
    "AccessDenied", "403", "401", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
    "InvalidToken", "AllAccessDisabled", "AccountProblem", "InvalidClientTokenId", "UnauthorizedOperation",
    "Forbidden", "RequestTimeTooSkewed",
}
_CHUNK = 256 * 1024


class S3Config(BaseModel):
    """The job's ``s3Config`` (RunPod's shape). The secret never shows in repr or dumps."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    endpoint_url: Optional[str] = Field(None, alias="endpointUrl")
    access_id: Optional[str] = Field(None, alias="accessId")
    access_secret: Optional[SecretStr] = Field(None, alias="accessSecret")
    bucket_name: Optional[str] = Field(None, alias="bucketName")
    region: Optional[str] = Field(None, alias="region")

    @classmethod
    def from_job(cls, value: Optional[Mapping[str, Any]]) -> Optional["S3Config"]:
        if not value:
            return None
        if isinstance(value, S3Config):
            return value
        config = cls.model_validate(dict(value))
        register_secret(config.access_secret.get_secret_value() if config.access_secret else None)
        return config

    def cache_key(self) -> tuple:
        secret = self.access_secret.get_secret_value() if self.access_secret else None
        return (self.endpoint_url, self.access_id, hash(secret), self.region)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_url(url: str, default_bucket: Optional[str] = None) -> S3Location:
    """``s3://bucket/key`` -> (bucket, key); ``s3:///key`` uses ``default_bucket`` (s3Config.bucketName)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3":
        raise DocumentError(ErrorCode.URL_NOT_ALLOWED, f"not an s3:// URL: {parts.scheme}://…")
    bucket = parts.netloc or (default_bucket or "")
    if not bucket:
        raise DocumentError(ErrorCode.INVALID_INPUT, "s3:// URL has no bucket (and s3Config.bucketName is not set)")
    if parts.query or parts.fragment:
        raise DocumentError(ErrorCode.INVALID_INPUT, f"s3://{bucket}/…: query strings are not supported in s3:// URLs")
    return S3Location(bucket, parts.path.lstrip("/"))


_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()
_MAX_CLIENTS = 32


def _client_config(settings: FetchSettings, path_style: bool) -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        retries={"max_attempts": settings.retries + 1, "mode": "standard"},
        signature_version="s3v4",
        s3={"addressing_style": "path"} if path_style else None,
        max_pool_connections=max(10, settings.prefetch * 2),
    )


def _aws_env_fingerprint() -> tuple:
    return tuple(os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ROLE_ARN"))


@functools.lru_cache(maxsize=8)
def _chain_has_credentials(_fingerprint: tuple) -> bool:
    """Whether the standard AWS chain finds credentials (cached: it may probe instance metadata)."""
    import boto3

    return boto3.Session().get_credentials() is not None


def make_client(config: Optional[S3Config] = None, settings: Optional[FetchSettings] = None) -> Any:
    """A boto3 S3 client for this job (cached per credentials; clients are thread-safe)."""
    settings = settings or FetchSettings.from_env()
    import boto3

    region = (config.region if config else None) or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    if config is not None and (config.access_id or config.endpoint_url):
        if config.endpoint_url:
            from extraction.remote.https_fetch import check_endpoint

            check_endpoint(config.endpoint_url, settings)
        key: tuple = ("job", *config.cache_key(), settings)
        kwargs: dict[str, Any] = {
            "endpoint_url": config.endpoint_url or None,
            "aws_access_key_id": config.access_id,
            "aws_secret_access_key": config.access_secret.get_secret_value() if config.access_secret else None,
        }
    else:
        bucket = BucketSettings.from_env()
        if not bucket.access_key_id or _chain_has_credentials(_aws_env_fingerprint()):
            key = ("chain", settings, region)
            kwargs = {}
        else:
            secret = bucket.secret
            register_secret(secret)
            key = ("bucket-env", bucket.endpoint_url, bucket.access_key_id, hash(secret), settings)
            kwargs = {
                "endpoint_url": bucket.endpoint_url,
                "aws_access_key_id": bucket.access_key_id,
                "aws_secret_access_key": secret,
            }
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            path_style = bool(kwargs.get("endpoint_url"))
            client = boto3.session.Session().client(
                "s3", region_name=region, config=_client_config(settings, path_style), **kwargs
            )
            if len(_clients) >= _MAX_CLIENTS:  # jobs with their own credentials: keep the newest
                _clients.pop(next(iter(_clients)))
            _clients[key] = client
        return client


def map_error(exc: BaseException, what: str) -> DocumentError:
    """A boto3/botocore exception as a structured, secret-free :class:`DocumentError`."""
    from botocore import exceptions as bx

    if isinstance(exc, DocumentError):
        return exc
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {}) if hasattr(exc, "response") else {}
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") if hasattr(exc, "response") else None
        if code in _NOT_FOUND or status == 404:
            return DocumentError(ErrorCode.NOT_FOUND, f"{what}: not found ({code or status})")
        if code in _DENIED or status in (401, 403):
            return DocumentError(ErrorCode.ACCESS_DENIED, f"{what}: access denied ({code or status}); check s3Config or the AWS credentials")
        if code in {"EntityTooLarge"}:
            return DocumentError(ErrorCode.TOO_LARGE, f"{what}: too large")
        return DocumentError(ErrorCode.FETCH_FAILED, f"{what}: storage error ({code or status})")
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return DocumentError(ErrorCode.ACCESS_DENIED, f"{what}: no S3 credentials (give s3Config, AWS credentials or BUCKET_* variables)")
    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return DocumentError(ErrorCode.FETCH_TIMEOUT, f"{what}: storage did not answer in time")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionClosedError)):
        return DocumentError(ErrorCode.FETCH_FAILED, f"{what}: cannot reach the storage endpoint")
    if isinstance(exc, bx.ParamValidationError):
        return DocumentError(ErrorCode.INVALID_INPUT, f"{what}: invalid bucket or key")
    if isinstance(exc, bx.BotoCoreError):
        return DocumentError(ErrorCode.FETCH_FAILED, f"{what}: storage client error ({type(exc).__name__})")
    return DocumentError(ErrorCode.FETCH_FAILED, f"{what}: {type(exc).__name__}")


def get_object(client: Any, location: S3Location, max_bytes: int) -> bytes:
    """The object's bytes, read in chunks and stopped as soon as they pass ``max_bytes``."""
    what = location.url
    if not location.key or location.key.endswith("/"):
        raise DocumentError(ErrorCode.INVALID_INPUT, f"{what} names a prefix, not an object; add \"recursive\": true to take every object under it")
    try:
        response = client.get_object(Bucket=location.bucket, Key=location.key)
    except Exception as exc:
        raise map_error(exc, what) from None
    body = response["Body"]
    try:
        declared = response.get("ContentLength")
        if isinstance(declared, int) and declared > max_bytes:
            raise DocumentError(ErrorCode.TOO_LARGE, f"{what} is {declared} bytes, over the {max_bytes}-byte limit (MAX_DOCUMENT_BYTES)")
        chunks: list[bytes] = []
        size = 0
        for chunk in body.iter_chunks(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise DocumentError(ErrorCode.TOO_LARGE, f"{what} is over the {max_bytes}-byte limit (MAX_DOCUMENT_BYTES)")
            chunks.append(chunk)
        return b"".join(chunks)
    except DocumentError:
        raise
    except Exception as exc:
        raise map_error(exc, what) from None
    finally:
        body.close()


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int


def list_prefix(client: Any, location: S3Location, *, recursive: bool, max_objects: int) -> list[ListedObject]:
    """Objects under a prefix, in key order (folder markers skipped).

    More than ``max_objects`` is an error, not a silent truncation: a nightly batch that
    quietly skipped documents would be worse than one that asks to be split.
    """
    what = location.url
    kwargs: dict[str, Any] = {"Bucket": location.bucket, "Prefix": location.key}
    if not recursive:
        kwargs["Delimiter"] = "/"
    found: list[ListedObject] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(**kwargs):
            for item in page.get("Contents", []) or []:
                key = item["Key"]
                if key.endswith("/") and not item.get("Size"):
                    continue
                found.append(ListedObject(key, int(item.get("Size") or 0)))
                if len(found) > max_objects:
                    raise DocumentError(
                        ErrorCode.TOO_MANY_DOCUMENTS,
                        f"{what} holds more than {max_objects} objects (MAX_PREFIX_OBJECTS); use a narrower prefix or split the job",
                    )
    except DocumentError:
        raise
    except Exception as exc:
        raise map_error(exc, what) from None
    return found


def put_json(client: Any, location: S3Location, payload: Any) -> None:
    """Write ``payload`` as UTF-8 JSON (``application/json``)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        client.put_object(Bucket=location.bucket, Key=location.key, Body=body, ContentType="application/json")
    except Exception as exc:
        error = map_error(exc, location.url)
        raise DocumentError(ErrorCode.OUTPUT_FAILED, f"writing {error.message} [{error.code.value}]") from None
