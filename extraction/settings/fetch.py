"""Downloads by URL: how much, how long and from where, and the worker's own bucket credentials.

Read once per job (the fetchers take a :class:`FetchSettings`, so tests build one directly
instead of patching the environment). The address guard's switches default to closed: a job
may name any URL, so private and plain-http addresses are refused unless the operator opens
them for a trusted network.
"""

from __future__ import annotations

from typing import Mapping, Optional

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings, load_settings
from extraction.settings.limits import DEFAULT_MAX_DOCUMENT_BYTES
from extraction.settings.types import WholeNumber


class FetchSettings(Settings):
    """Limits and switches of the S3 and HTTPS fetchers (``FETCH_*`` and a few exact names)."""

    model_config = SettingsConfigDict(env_prefix="FETCH_")

    max_bytes: WholeNumber = Field(
        DEFAULT_MAX_DOCUMENT_BYTES,
        ge=1,
        validation_alias="MAX_DOCUMENT_BYTES",
        description="bytes per document (one cap for inline and fetched documents)",
    )
    connect_timeout_s: float = Field(5.0, ge=0.001, description="connect timeout of a download, in seconds")
    read_timeout_s: float = Field(30.0, ge=0.001, description="longest wait for the next bytes of a download, in seconds")
    total_timeout_s: float = Field(120.0, ge=0.001, description="whole download, retries included, in seconds")
    retries: WholeNumber = Field(
        2,
        ge=0,
        description=(
            "retries on transient errors only: connection errors, timeouts, HTTP 408/425/429/5xx (with "
            "exponential backoff and jitter; `Retry-After` honoured); 401/403/404 fail at once"
        ),
    )
    backoff_s: float = Field(0.5, ge=0.0, description="first backoff delay between retries, in seconds")
    max_redirects: WholeNumber = Field(
        5, ge=0, description="redirect hops followed, one at a time (every hop passes the address check)"
    )
    allow_private: bool = Field(
        False,
        validation_alias="ALLOW_PRIVATE_URLS",
        description=(
            "allow URLs (and `s3Config.endpointUrl`) that resolve to private, loopback, link-local "
            "(e.g. `169.254.169.254`), shared or reserved addresses"
        ),
    )
    allow_http: bool = Field(
        False,
        validation_alias="ALLOW_HTTP_URLS",
        description="allow plain `http://` URLs (and `http://` storage endpoints in `s3Config`)",
    )
    max_prefix_objects: WholeNumber = Field(
        1000,
        ge=1,
        validation_alias="MAX_PREFIX_OBJECTS",
        description=(
            "objects one `s3://bucket/prefix/` may expand to (a prefix with more fails as `too_many_documents` "
            "instead of being cut short)"
        ),
    )
    prefetch: WholeNumber = Field(
        4,
        ge=1,
        validation_alias="FETCH_CONCURRENCY",
        description="URL documents downloaded ahead while earlier ones are processed",
    )
    ca_bundle: Optional[str] = Field(
        None,
        description="PEM file of the CAs trusted for https downloads (e.g. a company CA)",
        json_schema_extra={"shown_default": "certifi's bundle"},
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "FetchSettings":
        """The settings from ``environ`` (default ``os.environ``); see docs/batch.md."""
        return load_settings(cls, environ)


class BucketSettings(Settings):
    """The worker's (and ``extract-batch``'s) own S3 credentials, used when a job brings none.

    RunPod's convention for bucket access. The secret is a :class:`SecretStr` so it never
    appears in a repr or log line, and a bad value is reported without echoing it.
    """

    model_config = SettingsConfigDict(env_prefix="BUCKET_")

    endpoint_url: Optional[str] = Field(
        None,
        description=(
            "S3-compatible endpoint for the `BUCKET_*` credentials (unset: AWS); trusted as configured, "
            "not checked by the address guard"
        ),
    )
    access_key_id: Optional[str] = Field(
        None,
        description=(
            "S3 access key used when the job has no `s3Config` and the AWS chain finds no credentials "
            "(`AWS_*` variables, profiles and roles win)"
        ),
    )
    secret_access_key: Optional[SecretStr] = Field(None, description="secret of `BUCKET_ACCESS_KEY_ID`")
    name: Optional[str] = Field(
        None,
        description=(
            "bucket sent as `s3Config.bucketName` by `extract-batch --s3-config-from-env` "
            "(the worker itself takes the bucket from each URL)"
        ),
    )

    @property
    def secret(self) -> Optional[str]:
        """The secret in clear, for the S3 client only."""
        return self.secret_access_key.get_secret_value() if self.secret_access_key is not None else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "BucketSettings":
        return load_settings(cls, environ)
