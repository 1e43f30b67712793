"""One place that knows where each model lives, and makes it present at cold start.

``ensure("tilt")`` returns a local directory holding a whole copy of the model: found with no
network call when it is already on the volume (our managed copy, RunPod's cached-model
layout, or a plain directory), else downloaded once under a lock shared by all workers of
the volume. After that the process goes offline (``HF_HUB_OFFLINE=1``) so a hub outage
cannot stall loading. Every step is logged with its duration and kept for the job output
(:func:`timings`).

Env (``extraction.settings.models``): ``MODEL_CACHE_DIR`` (root), ``MODEL_DOWNLOAD`` (``0``
forbids downloads), ``MODEL_LOCAL_COPY_DIR`` (copy to local disk before loading),
``MODEL_LOCK_TIMEOUT_S``, ``MODEL_VERIFY_SHA256`` (``0`` skips hashing), ``MODEL_SET_OFFLINE``,
``<PREFIX>_MODEL_DIR`` explicit directories.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from extraction.settings import load_settings
from extraction.settings.models import ModelCacheSettings
from model_cache.download import ModelCacheError, download, install_dir, write_marker
from model_cache.paths import MARKER, Found, cache_root, dir_size, find, hub_caches, managed_dir, read_marker
from model_cache.registry import ModelSpec, get_spec, group_names, missing_required, registry

__all__ = [
    "ModelCacheError",
    "ModelSpec",
    "cache_root",
    "ensure",
    "locate",
    "find_model",
    "registry",
    "get_spec",
    "group_names",
    "timings",
    "reset_timings",
    "downloads_allowed",
    "search_locations",
    "status",
    "missing_required",
]

log = logging.getLogger("model_cache")

_TIMINGS: dict[str, dict[str, Any]] = {}
_TIMINGS_LOCK = threading.Lock()
_OFFLINE_SET_BY_US = False


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _settings() -> ModelCacheSettings:
    return load_settings(ModelCacheSettings)


def _hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` as huggingface_hub itself reads it (its variable, not one of our settings)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


def timings() -> dict[str, dict[str, Any]]:
    """Cold-start facts per model (source, path, step durations in ms) for the ``engines`` block."""
    with _TIMINGS_LOCK:
        return {name: dict(entry) for name, entry in _TIMINGS.items()}


def reset_timings() -> None:
    with _TIMINGS_LOCK:
        _TIMINGS.clear()


def _record(name: str, **values: Any) -> None:
    with _TIMINGS_LOCK:
        _TIMINGS.setdefault(name, {}).update(values)


def downloads_allowed() -> bool:
    """False when ``MODEL_DOWNLOAD=0`` or the user (not this module) put the process offline."""
    if not _settings().download:
        return False
    return _OFFLINE_SET_BY_US or not _hub_offline()


def search_locations(spec: ModelSpec, root: Path | None = None) -> list[str]:
    """Human-readable list of the places :func:`locate` looks, for error messages and ``status``."""
    root = root or cache_root()
    if spec.directory is not None:
        return [f"{spec.dir_env}={spec.directory}"]
    places = [str(managed_dir(spec, root))]
    places += [str(hub / f"models--{spec.repo_id.replace('/', '--')}") for hub in hub_caches()]
    places.append(str(root / spec.name))
    return places


def find_model(name: str, root: Path | None = None) -> Found | None:
    return find(get_spec(name), root)


def locate(name: str) -> Path | None:
    """The directory of a whole copy of model ``name``, or None; never touches the network."""
    found = find(get_spec(name))
    return found.path if found else None


def _set_offline() -> None:
    """Put this process (and child processes) offline once the weights are local."""
    global _OFFLINE_SET_BY_US
    if not _settings().set_offline or _hub_offline():
        return
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    _OFFLINE_SET_BY_US = True
    try:  # huggingface_hub reads the variable once at import; update it when already imported
        import sys

        constants = sys.modules.get("huggingface_hub.constants")
        if constants is not None:
            constants.HF_HUB_OFFLINE = True
    except Exception:  # pragma: no cover - best effort only
        pass


def _missing_message(spec: ModelSpec, root: Path) -> str:
    flag = "--tilt" if spec.group == "tilt" else "--ocr"
    return (
        f"model {spec.name!r} ({spec.repo_id}) is not in the model cache and downloads are disabled "
        f"(MODEL_DOWNLOAD=0 or HF_HUB_OFFLINE=1). Looked in: {'; '.join(search_locations(spec, root))}. "
        f"Run `python -m model_cache prefetch {flag}` once on a machine with the volume mounted "
        f"(MODEL_CACHE_DIR={root}), or allow downloads."
    )


def _copy_local(spec: ModelSpec, source: Path, target_root: Path) -> Path:
    """Copy a model to local disk (loads from a network volume can be far slower), reusing a whole copy."""
    from filelock import FileLock

    target = target_root / spec.slug
    source_bytes = dir_size(source)
    marker = read_marker(target)
    if marker is not None and marker.get("source") == str(source) and marker.get("bytes") == source_bytes:
        return target
    target_root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target_root / f".{spec.slug}.lock")):
        marker = read_marker(target)
        if marker is not None and marker.get("source") == str(source) and marker.get("bytes") == source_bytes:
            return target
        tmp = target_root / f".{spec.slug}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        try:
            shutil.copytree(source, tmp, symlinks=False, ignore=shutil.ignore_patterns(MARKER, ".cache"))
            write_marker(tmp, {"source": str(source), "bytes": source_bytes, "repo_id": spec.repo_id})
            install_dir(tmp, target, target_root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def ensure(name: str, *, download_allowed: bool | None = None, local_copy_dir: str | Path | None = None) -> Path:
    """A local directory with a whole copy of model ``name``; downloads it once if needed and allowed.

    Raises :class:`ModelCacheError` with the places searched and the prefetch command when the
    model is missing and downloads are off, or when the download fails.
    """
    spec = get_spec(name)
    root = cache_root()
    started = time.perf_counter()
    found = find(spec, root)
    locate_s = time.perf_counter() - started
    entry: dict[str, Any] = {"repo_id": spec.repo_id, "locate_ms": _ms(locate_s)}
    if found is not None:
        log.info("%s: found %s copy at %s in %.0f ms", name, found.source, found.path, locate_s * 1000)
    else:
        allowed = downloads_allowed() if download_allowed is None else download_allowed
        if not allowed:
            _record(name, **entry, source="missing")
            raise ModelCacheError(_missing_message(spec, root))
        log.info("%s: not in the cache (%s); downloading %s", name, root, spec.repo_id)
        if _OFFLINE_SET_BY_US:
            _allow_network_temporarily()
        settings = _settings()
        try:
            report = download(spec, root, lock_timeout_s=settings.lock_timeout_s, check_sha256=settings.verify_sha256)
        except ModelCacheError:
            raise
        except Exception as exc:
            raise ModelCacheError(
                f"downloading {spec.repo_id} into {root} failed: {type(exc).__name__}: {exc}. "
                f"Check network access and HF_TOKEN, or run `python -m model_cache prefetch` where the hub is reachable."
            ) from exc
        finally:
            if _OFFLINE_SET_BY_US:
                _set_offline_again()
        found = report.found
        entry.update(
            lock_wait_ms=_ms(report.lock_wait_s),
            download_ms=_ms(report.download_s),
            verify_ms=_ms(report.verify_s),
            downloaded=report.downloaded,
            bytes=report.bytes,
        )
    entry.update(source=found.source, path=str(found.path), revision=found.revision)

    copy_root = local_copy_dir if local_copy_dir is not None else _settings().local_copy_dir
    path = found.path
    if copy_root:
        t0 = time.perf_counter()
        path = _copy_local(spec, found.path, Path(copy_root))
        entry.update(copy_ms=_ms(time.perf_counter() - t0), path=str(path), copied_from=str(found.path))
        log.info("%s: local copy at %s in %.1fs", name, path, time.perf_counter() - t0)
    entry["total_ms"] = _ms(time.perf_counter() - started)
    _record(name, **entry)
    _set_offline()
    return path


def _allow_network_temporarily() -> None:
    import sys

    os.environ.pop("HF_HUB_OFFLINE", None)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = False


def _set_offline_again() -> None:
    import sys

    os.environ["HF_HUB_OFFLINE"] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True


def status(names: list[str] | None = None) -> list[dict[str, Any]]:
    """Per model: present or missing, where, which kind of copy, size in bytes (no network)."""
    root = cache_root()
    rows = []
    for spec in registry().values():
        if names and spec.name not in names:
            continue
        found = find(spec, root)
        rows.append(
            {
                "name": spec.name,
                "repo_id": spec.repo_id,
                "group": spec.group,
                "optional": spec.optional,
                "present": found is not None,
                "source": found.source if found else None,
                "path": str(found.path) if found else None,
                "bytes": dir_size(found.path) if found else 0,
                "searched": None if found else search_locations(spec, root),
            }
        )
    return rows

