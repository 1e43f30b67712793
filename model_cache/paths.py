"""Where models live: the cache root and the places a whole copy may already be.

Search order for a model (first whole copy wins):

1. ``<PREFIX>_MODEL_DIR`` (e.g. ``TILT_MODEL_DIR``): an explicit directory, used as is;
2. the managed copy ``<root>/<org>--<name>/`` carrying the completion marker;
3. a Hugging Face hub cache (RunPod "cached models" at
   ``/runpod-volume/huggingface-cache/hub``, ``$HF_HUB_CACHE``, ``$HF_HOME/hub``):
   ``models--{org}--{name}/snapshots/{revision}/``;
4. a plain directory ``<root>/<name>/`` (e.g. ``/runpod-volume/models/tilt``) copied by hand.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from extraction.settings import load_settings
from extraction.settings.models import RUNPOD_VOLUME, ModelCacheSettings
from model_cache.registry import ModelSpec, missing_required

VOLUME = RUNPOD_VOLUME
RUNPOD_HUB_CACHE = VOLUME / "huggingface-cache" / "hub"
MARKER = ".model_cache_complete.json"
TMP_DIR = ".tmp"
LOCK_DIR = ".locks"


def volume_path() -> Path:
    """The network volume mount (env ``RUNPOD_VOLUME`` overrides it, for tests and pods)."""
    return load_settings(ModelCacheSettings).volume


def cache_root() -> Path:
    """``MODEL_CACHE_DIR``, else ``<volume>/models`` when the volume is mounted, else a user cache."""
    explicit = load_settings(ModelCacheSettings).cache_dir
    if explicit:
        return explicit.expanduser()
    volume = volume_path()
    if volume.is_dir():
        return volume / "models"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")  # the XDG convention, not ours
    return base / "receipt-extraction" / "models"


def hub_caches() -> list[Path]:
    """Hugging Face hub cache directories to search, most specific first, without duplicates.

    ``HF_HUB_CACHE`` and ``HF_HOME`` are huggingface_hub's own variables, read as it reads them.
    """
    candidates: list[Path] = []
    if os.environ.get("HF_HUB_CACHE"):
        candidates.append(Path(os.environ["HF_HUB_CACHE"]))
    if os.environ.get("HF_HOME"):
        home = Path(os.environ["HF_HOME"])
        candidates += [home / "hub", home]  # worker-vllm sets HF_HOME to the hub dir itself
    candidates.append(volume_path() / "huggingface-cache" / "hub")
    candidates.append(Path.home() / ".cache" / "huggingface" / "hub")
    unique: list[Path] = []
    for path in candidates:
        if path not in unique:
            unique.append(path)
    return unique


@dataclass(frozen=True)
class Found:
    """A whole copy of a model: where it is and what kind of place it is."""

    path: Path
    source: str  # "env_dir" | "managed" | "hub_cache" | "plain_dir"
    revision: str | None = None


def managed_dir(spec: ModelSpec, root: Path | None = None) -> Path:
    return (root or cache_root()) / spec.slug


def read_marker(directory: Path) -> dict | None:
    try:
        return json.loads((directory / MARKER).read_text())
    except (OSError, ValueError):
        return None


def find(spec: ModelSpec, root: Path | None = None) -> Found | None:
    """The first whole copy of ``spec`` in the search order above, or None; never uses the network."""
    if spec.directory is not None:
        path = spec.directory
        return Found(path, "env_dir") if path.is_dir() and not missing_required(spec, path) else None

    managed = managed_dir(spec, root)
    marker = read_marker(managed)
    if marker is not None and not missing_required(spec, managed):
        if spec.revision is None or spec.revision in (marker.get("revision"), marker.get("commit")):
            return Found(managed, "managed", marker.get("commit"))

    for hub in hub_caches():
        snapshot = find_hub_snapshot(spec, hub)
        if snapshot is not None:
            return Found(snapshot, "hub_cache", snapshot.name)

    plain = (root or cache_root()) / spec.name
    if plain.is_dir() and read_marker(plain) is None and not missing_required(spec, plain):
        return Found(plain, "plain_dir")
    return None


def find_hub_snapshot(spec: ModelSpec, hub: Path) -> Path | None:
    """A whole snapshot in a hub cache: the pinned revision, else the one ``refs/main`` names, else the newest whole one."""
    repo_dir = hub / f"models--{spec.repo_id.replace('/', '--')}"
    snapshots = repo_dir / "snapshots"
    if not snapshots.is_dir():
        return None
    wanted = spec.revision or "main"
    ref = repo_dir / "refs" / wanted
    preferred: list[Path] = []
    if ref.is_file():
        preferred.append(snapshots / ref.read_text().strip())
    preferred.append(snapshots / wanted)
    for candidate in preferred:
        if candidate.is_dir() and not missing_required(spec, candidate):
            return candidate
    if spec.revision is not None:
        return None  # a pinned revision must not silently fall back to another one
    whole = [p for p in snapshots.iterdir() if p.is_dir() and not missing_required(spec, p)]
    return max(whole, key=lambda p: p.stat().st_mtime) if whole else None


def dir_size(path: Path) -> int:
    """Bytes under ``path``, following the symlinks of hub-cache snapshots."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(path, followlinks=True):
        for filename in filenames:
            try:
                total += (Path(dirpath) / filename).stat().st_size
            except OSError:
                pass
    return total
