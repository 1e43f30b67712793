"""Download a model into the cache safely when several workers share one volume.

Why each step: the download goes to a private temporary directory (a crash leaves only
that behind, never a half model under the final name); it runs under a file lock per model
(other workers wait, then find the finished copy instead of downloading again); the files
are checked against the hub's own listing (sizes, and SHA-256 of LFS files) before the
directory is renamed into place in one atomic step with its completion marker inside.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from model_cache.paths import LOCK_DIR, MARKER, TMP_DIR, Found, find, managed_dir
from model_cache.registry import ModelSpec, missing_required, readable

log = logging.getLogger("model_cache")

REGEX_COMMIT = "0123456789abcdef"


class ModelCacheError(RuntimeError):
    """A model cannot be made available; the message says where we looked and what to run."""


@dataclass
class DownloadReport:
    found: Found
    lock_wait_s: float = 0.0
    download_s: float = 0.0
    verify_s: float = 0.0
    bytes: int = 0
    downloaded: bool = False  # False: another worker finished it while we waited for the lock


def _is_commit(revision: str | None) -> bool:
    return bool(revision) and len(revision) == 40 and all(c in REGEX_COMMIT for c in revision)  # type: ignore[union-attr]


def _matches(path: str, patterns: tuple[str, ...] | None) -> bool:
    return patterns is None or any(fnmatch.fnmatch(path, p) for p in patterns)


def _endpoint() -> str | None:
    # Read at call time: huggingface_hub reads HF_ENDPOINT once at import.
    return os.environ.get("HF_ENDPOINT") or None


def expected_files(spec: ModelSpec) -> tuple[str, dict[str, tuple[int, str | None]]]:
    """Resolve the revision to a commit and list the files to fetch: path -> (size, lfs sha256)."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=_endpoint())
    commit = spec.revision if _is_commit(spec.revision) else None
    if commit is None:
        info = api.repo_info(spec.repo_id, revision=spec.revision or "main")
        commit = info.sha
    if not commit:
        raise ModelCacheError(f"the hub did not return a commit for {spec.repo_id}@{spec.revision or 'main'}")
    files: dict[str, tuple[int, str | None]] = {}
    for entry in api.list_repo_tree(spec.repo_id, revision=commit, recursive=True):
        if isinstance(entry, RepoFile) and _matches(entry.path, spec.allow_patterns):
            files[entry.path] = (int(entry.size), entry.lfs.sha256 if entry.lfs is not None else None)
    return commit, files


def verify(directory: Path, expected: dict[str, tuple[int, str | None]], check_sha256: bool = True) -> int:
    """Raise unless every expected file is there with its size (and LFS hash); returns total bytes."""
    total = 0
    for rel, (size, sha256) in expected.items():
        path = directory / rel
        if not path.is_file():
            raise ModelCacheError(f"download incomplete: {rel} is missing")
        actual = path.stat().st_size
        if actual != size:
            raise ModelCacheError(f"download corrupt: {rel} has {actual} bytes, the hub lists {size}")
        if check_sha256 and sha256:
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 22), b""):
                    digest.update(chunk)
            if digest.hexdigest() != sha256:
                raise ModelCacheError(f"download corrupt: {rel} does not match its SHA-256")
        total += size
    return total


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_marker(directory: Path, data: dict) -> None:
    marker = directory / MARKER
    with marker.open("w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())


def _remove_stale_temps(root: Path, prefix: str) -> None:
    """Temp dirs of this model left by crashed downloads (safe: we hold the model's lock)."""
    tmp_root = root / TMP_DIR
    if not tmp_root.is_dir():
        return
    for leftover in tmp_root.glob(f"{prefix}.*"):
        log.warning("removing an interrupted download: %s", leftover)
        shutil.rmtree(leftover, ignore_errors=True)


def install_dir(source: Path, final: Path, tmp_root: Path) -> None:
    """Rename a finished ``source`` directory to ``final`` atomically, moving an old one aside first."""
    if final.exists():
        trash = tmp_root / f"{final.name}.old.{uuid.uuid4().hex[:8]}"
        os.rename(final, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.rename(source, final)
    _fsync_dir(final.parent)


def download(spec: ModelSpec, root: Path, lock_timeout_s: float = 3600.0, check_sha256: bool = True) -> DownloadReport:
    """Fetch ``spec`` into ``<root>/<org>--<name>`` unless another worker already did."""
    from filelock import FileLock, Timeout

    (root / LOCK_DIR).mkdir(parents=True, exist_ok=True)
    (root / TMP_DIR).mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / LOCK_DIR / f"{spec.slug}.lock"), timeout=lock_timeout_s)
    started = time.perf_counter()
    try:
        lock.acquire()
    except Timeout:
        raise ModelCacheError(
            f"waited {lock_timeout_s:.0f}s for another worker downloading {spec.repo_id} "
            f"(lock {root / LOCK_DIR / (spec.slug + '.lock')}); raise MODEL_LOCK_TIMEOUT_S or retry"
        ) from None
    try:
        report = DownloadReport(found=Found(managed_dir(spec, root), "managed"), lock_wait_s=time.perf_counter() - started)
        if report.lock_wait_s > 1:
            log.info("%s: waited %.1fs for the download lock", spec.name, report.lock_wait_s)
        already = find(spec, root)
        if already is not None:
            log.info("%s: another worker finished it while we waited: %s", spec.name, already.path)
            report.found = already
            return report

        _remove_stale_temps(root, spec.slug)
        tmp = root / TMP_DIR / f"{spec.slug}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        try:
            return _fetch_into(spec, root, tmp, report, check_sha256)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)  # never leave a half copy behind when we can help it
            raise
    finally:
        lock.release()


def _fetch_into(spec: ModelSpec, root: Path, tmp: Path, report: DownloadReport, check_sha256: bool) -> DownloadReport:
    from huggingface_hub import snapshot_download

    t0 = time.perf_counter()
    commit, files = expected_files(spec)
    log.info("%s: downloading %s@%s (%d files) into %s", spec.name, spec.repo_id, commit[:12], len(files), tmp)
    snapshot_download(
        spec.repo_id,
        revision=commit,
        local_dir=str(tmp),
        allow_patterns=list(spec.allow_patterns) if spec.allow_patterns else None,
        endpoint=_endpoint(),
    )
    report.download_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    report.bytes = verify(tmp, files, check_sha256=check_sha256)
    missing = missing_required(spec, tmp)
    if missing:
        raise ModelCacheError(f"{spec.repo_id}@{commit[:12]} has no file matching {'; '.join(readable(m) for m in missing)}")
    report.verify_s = time.perf_counter() - t1
    shutil.rmtree(tmp / ".cache", ignore_errors=True)  # huggingface_hub's local_dir bookkeeping
    write_marker(
        tmp,
        {
            "repo_id": spec.repo_id,
            "revision": spec.revision or "main",
            "commit": commit,
            "files": {path: size for path, (size, _sha) in sorted(files.items())},
            "bytes": report.bytes,
            "completed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    final = managed_dir(spec, root)
    install_dir(tmp, final, root / TMP_DIR)
    report.found = Found(final, "managed", commit)
    report.downloaded = True
    log.info(
        "%s: %d MB downloaded in %.1fs, verified in %.1fs -> %s",
        spec.name, report.bytes // 1_000_000, report.download_s, report.verify_s, final,
    )
    return report
