"""Results to ``s3://bucket/prefix/``: one JSON per document plus a manifest.

Big batches would not fit RunPod's output payload, so with an ``output`` target the job
returns only the manifest (counts, keys, errors). Each result is written as soon as it is
ready, so a worker that dies mid-job leaves every finished document behind.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from typing import Any, Optional

from extraction.errors import DocumentError, ErrorCode
from extraction.remote.s3 import S3Config, S3Location, make_client, parse_s3_url, put_json
from extraction.settings.fetch import FetchSettings
from extraction.schema import OutputManifest

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 120


def safe_key_stem(doc_id: str) -> str:
    """A file-name-safe, traversal-free stem for a document id.

    Only ``[A-Za-z0-9._-]`` survive; runs of anything else (``/``, spaces, ``..``) become a
    single ``_``; leading dots go. When the id had to change, a short hash of the original
    id is appended so two ids that clean up to the same text (``a/b`` and ``a_b``) keep
    different keys. The same id always gives the same key, so retries overwrite.
    """
    stem = _UNSAFE.sub("_", doc_id)
    stem = re.sub(r"\.{2,}", "_", stem).strip("._") or "document"
    stem = stem[:_MAX_STEM]
    if stem != doc_id:
        stem = f"{stem}-{hashlib.sha256(doc_id.encode('utf-8')).hexdigest()[:10]}"
    return stem


def parse_output_url(url: str, default_bucket: Optional[str] = None) -> S3Location:
    """The output prefix; must be ``s3://bucket/prefix`` (a trailing ``/`` is implied)."""
    if not url.lower().startswith("s3://"):
        raise DocumentError(ErrorCode.INVALID_INPUT, "output.url must be an s3:// URL (s3://bucket/prefix/)")
    location = parse_s3_url(url, default_bucket)
    prefix = location.key
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if any(part in (".", "..") for part in prefix.split("/")):
        raise DocumentError(ErrorCode.INVALID_INPUT, "output.url must not contain '.' or '..' path segments")
    return S3Location(location.bucket, prefix)


class ResultWriter:
    """Writes document results under one prefix and builds the manifest the job returns."""

    def __init__(
        self,
        url: str,
        *,
        s3_config: Optional[dict[str, Any]] = None,
        job_id: Optional[str] = None,
        settings: Optional[FetchSettings] = None,
        client: Any = None,
    ) -> None:
        config = S3Config.from_job(s3_config)
        self.target = parse_output_url(url, config.bucket_name if config else None)
        self.client = client or make_client(config, settings)
        self.job_id = job_id
        self.entries: list[dict[str, Any]] = []
        self._used: set[str] = set()
        self._lock = threading.Lock()

    @property
    def prefix_url(self) -> str:
        return f"s3://{self.target.bucket}/{self.target.key}"

    def key_for(self, doc_id: str) -> str:
        stem = safe_key_stem(doc_id)
        with self._lock:
            candidate, n = stem, 1
            while candidate in self._used:  # the same id twice in one job
                n += 1
                candidate = f"{stem}-{n}"
            self._used.add(candidate)
        return f"{self.target.key}{candidate}.json"

    def write(self, result: dict[str, Any]) -> dict[str, Any]:
        """Write one result (a DocumentResult dict); returns its manifest entry.

        A failed write does not raise: the entry records ``output_failed`` and the job goes on.
        """
        doc_id = str(result.get("id") or "document")
        key = self.key_for(doc_id)
        entry: dict[str, Any] = {"id": doc_id, "status": result.get("status"), "key": key}
        if result.get("error"):
            entry["error"] = result["error"]
        try:
            put_json(self.client, S3Location(self.target.bucket, key), result)
            entry["written"] = True
        except DocumentError as exc:
            entry["written"] = False
            entry["output_error"] = exc.to_dict()
        with self._lock:
            self.entries.append(entry)
        return entry

    def manifest_key(self) -> str:
        name = f"manifest-{safe_key_stem(self.job_id)}.json" if self.job_id else "manifest.json"
        return f"{self.target.key}_manifests/{name}"

    def finish(self, extra: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """Write the manifest next to the results and return it (what the job outputs).

        If the manifest itself cannot be written it is still returned, with ``error`` set,
        so the caller learns which documents did reach the bucket.
        """
        entries = list(self.entries)
        manifest: dict[str, Any] = {
            "output": self.prefix_url,
            "manifest_key": self.manifest_key(),
            "job_id": self.job_id,
            "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "summary": {
                "documents": len(entries),
                "succeeded": sum(e["status"] == "ok" for e in entries),
                "failed": sum(e["status"] != "ok" for e in entries),
                "written": sum(bool(e.get("written")) for e in entries),
                "write_failed": sum(not e.get("written") for e in entries),
            },
            "documents": entries,
            **(extra or {}),
        }
        manifest = OutputManifest.model_validate(manifest).model_dump(mode="json", exclude_none=True)
        try:
            put_json(self.client, S3Location(self.target.bucket, manifest["manifest_key"]), manifest)
        except DocumentError as exc:
            manifest["manifest_error"] = exc.to_dict()
        return manifest
