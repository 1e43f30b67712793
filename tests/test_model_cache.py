"""Model cache: finding whole copies without the network, safe downloads, clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import model_cache
from model_cache.paths import MARKER
from tests.support.hub_server import FakeRepo, HubServer

TINY_FILES = {
    "config.json": b'{"model_type": "tiny"}',
    "model.safetensors": bytes(range(256)) * 40,
    "tokenizer/vocab.txt": b"a\nb\nc\n",
}


@pytest.fixture
def cache_env(tmp_path, monkeypatch):
    """An isolated cache root, volume and HF home; network downloads pointed nowhere."""
    import huggingface_hub.constants as hf_constants

    for name in list(os.environ):
        if name.endswith("_MODEL_DIR") or name.endswith("_MODEL_ID") or name.startswith("MODEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MODEL_CACHE_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("RUNPOD_VOLUME", str(tmp_path / "volume"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # set (not deleted) so the value ensure() writes is undone
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # closed port: any network use fails loudly
    monkeypatch.setattr(model_cache, "_OFFLINE_SET_BY_US", False)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    model_cache.reset_timings()
    yield tmp_path
    model_cache.reset_timings()


def _no_network(monkeypatch):
    import huggingface_hub

    def boom(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", boom)
    monkeypatch.setattr(huggingface_hub.HfApi, "repo_info", boom)
    monkeypatch.setattr(huggingface_hub.HfApi, "list_repo_tree", boom)


def _write_model(directory: Path, files: dict[str, bytes] = TINY_FILES) -> Path:
    for rel, data in files.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_bytes(data)
    return directory


def test_complete_managed_copy_is_found_without_network(cache_env, monkeypatch):
    _no_network(monkeypatch)
    spec = model_cache.get_spec("tilt")
    managed = _write_model(cache_env / "models" / spec.slug)
    (managed / MARKER).write_text(json.dumps({"repo_id": spec.repo_id, "commit": "c" * 40}))

    assert model_cache.ensure("tilt") == managed
    facts = model_cache.timings()["tilt"]
    assert facts["source"] == "managed" and facts["path"] == str(managed)
    assert facts["locate_ms"] >= 0 and "download_ms" not in facts
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_managed_copy_without_marker_is_not_trusted(cache_env, monkeypatch):
    monkeypatch.setenv("MODEL_DOWNLOAD", "0")
    _write_model(cache_env / "models" / model_cache.get_spec("tilt").slug)  # e.g. files of a crashed copy
    assert model_cache.locate("tilt") is None
    with pytest.raises(model_cache.ModelCacheError):
        model_cache.ensure("tilt")


def _hub_cache_snapshot(hub: Path, repo_id: str, revision: str, files=TINY_FILES, with_blobs: bool = True) -> Path:
    """Lay files out like huggingface_hub does: blobs/ + snapshots/<rev>/ symlinks + refs/main."""
    repo_dir = hub / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo_dir / "snapshots" / revision
    for index, (rel, data) in enumerate(files.items()):
        blob = repo_dir / "blobs" / f"blob{index}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        if with_blobs:
            blob.write_bytes(data)
        link = snapshot / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)
    return snapshot


def test_runpod_cached_model_layout_is_found(cache_env, monkeypatch):
    _no_network(monkeypatch)
    hub = cache_env / "volume" / "huggingface-cache" / "hub"
    snapshot = _hub_cache_snapshot(hub, "Snowflake/snowflake-arctic-tilt-v1.3", "a" * 40)

    assert model_cache.locate("tilt") == snapshot
    assert model_cache.ensure("tilt") == snapshot
    assert model_cache.timings()["tilt"]["source"] == "hub_cache"
    assert model_cache.timings()["tilt"]["revision"] == "a" * 40


def test_hub_cache_snapshot_with_missing_blobs_is_ignored(cache_env):
    hub = cache_env / "volume" / "huggingface-cache" / "hub"
    _hub_cache_snapshot(hub, "Snowflake/snowflake-arctic-tilt-v1.3", "b" * 40, with_blobs=False)
    assert model_cache.locate("tilt") is None


def test_hub_cache_follows_refs_main_among_several_snapshots(cache_env):
    hub = cache_env / "hf-home" / "hub"
    wanted = _hub_cache_snapshot(hub, "Snowflake/snowflake-arctic-tilt-v1.3", "1" * 40)
    other = _hub_cache_snapshot(hub, "Snowflake/snowflake-arctic-tilt-v1.3", "2" * 40)  # rewrites refs/main
    assert model_cache.locate("tilt") == other
    (hub / "models--Snowflake--snowflake-arctic-tilt-v1.3" / "refs" / "main").write_text("1" * 40)
    assert model_cache.locate("tilt") == wanted


def test_plain_and_explicit_directories_are_recognised(cache_env, monkeypatch):
    plain = _write_model(cache_env / "models" / "tilt")
    assert model_cache.find_model("tilt").source == "plain_dir"
    assert model_cache.locate("tilt") == plain

    explicit = _write_model(cache_env / "elsewhere")
    monkeypatch.setenv("TILT_MODEL_DIR", str(explicit))
    assert model_cache.locate("tilt") == explicit
    monkeypatch.setenv("TILT_MODEL_DIR", str(cache_env / "nothing-here"))
    assert model_cache.locate("tilt") is None  # an explicit directory never falls back silently


def test_missing_model_with_downloads_disabled_names_path_and_command(cache_env, monkeypatch):
    _no_network(monkeypatch)
    monkeypatch.setenv("MODEL_DOWNLOAD", "0")
    with pytest.raises(model_cache.ModelCacheError) as caught:
        model_cache.ensure("tilt")
    message = str(caught.value)
    assert str(cache_env / "models" / "Snowflake--snowflake-arctic-tilt-v1.3") in message
    assert "python -m model_cache prefetch --tilt" in message
    assert model_cache.timings()["tilt"]["source"] == "missing"

    with pytest.raises(model_cache.ModelCacheError) as caught:
        model_cache.ensure("paddle-det")
    assert "prefetch --ocr" in str(caught.value)


def test_user_offline_mode_disables_downloads(cache_env, monkeypatch):
    _no_network(monkeypatch)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not model_cache.downloads_allowed()
    with pytest.raises(model_cache.ModelCacheError, match="downloads are disabled"):
        model_cache.ensure("tilt")


def test_download_through_huggingface_hub_from_local_server(cache_env, monkeypatch):
    repo = FakeRepo("acme/tiny-tilt", TINY_FILES, lfs={"model.safetensors"})
    monkeypatch.setenv("TILT_MODEL_ID", "acme/tiny-tilt")
    with HubServer([repo]) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        path = model_cache.ensure("tilt")
        assert path == cache_env / "models" / "acme--tiny-tilt"
        for rel, data in TINY_FILES.items():
            assert (path / rel).read_bytes() == data
        marker = json.loads((path / MARKER).read_text())
        assert marker["commit"] == repo.commit and set(marker["files"]) == set(TINY_FILES)
        assert dict(hub.downloads) == {f"acme/tiny-tilt/{rel}": 1 for rel in TINY_FILES}
        facts = model_cache.timings()["tilt"]
        assert facts["downloaded"] is True and facts["bytes"] == sum(map(len, TINY_FILES.values()))
        assert {"download_ms", "verify_ms", "total_ms"} <= set(facts)
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert not list((cache_env / "models" / ".tmp").iterdir())

        # A second model still downloads although this process went offline after the first.
        other = FakeRepo("PaddlePaddle/PP-OCRv5_server_det", {"inference.yml": b"x: 1", "inference.json": b"{}", "inference.pdiparams": b"\0" * 64})
        hub.repos[other.repo_id] = other
        assert (model_cache.ensure("paddle-det") / "inference.pdiparams").exists()

        model_cache.reset_timings()
        assert model_cache.ensure("tilt") == path  # present now: no second download
        assert sum(hub.downloads.values()) == len(TINY_FILES) + 3


def test_verify_rejects_wrong_size_and_hash(tmp_path):
    from model_cache.download import verify

    (tmp_path / "w.bin").write_bytes(b"abcd")
    assert verify(tmp_path, {"w.bin": (4, None)}) == 4
    with pytest.raises(model_cache.ModelCacheError, match="bytes"):
        verify(tmp_path, {"w.bin": (5, None)})
    with pytest.raises(model_cache.ModelCacheError, match="SHA-256"):
        verify(tmp_path, {"w.bin": (4, "0" * 64)})
    with pytest.raises(model_cache.ModelCacheError, match="missing"):
        verify(tmp_path, {"other.bin": (1, None)})


def test_local_copy_is_made_once_and_reused(cache_env, monkeypatch):
    spec = model_cache.get_spec("tilt")
    managed = _write_model(cache_env / "models" / spec.slug)
    (managed / MARKER).write_text("{}")
    local = cache_env / "local-disk"
    monkeypatch.setenv("MODEL_LOCAL_COPY_DIR", str(local))

    path = model_cache.ensure("tilt")
    assert path == local / spec.slug
    assert (path / "model.safetensors").read_bytes() == TINY_FILES["model.safetensors"]
    facts = model_cache.timings()["tilt"]
    assert facts["copied_from"] == str(managed) and "copy_ms" in facts
    stamp = (path / "config.json").stat().st_mtime_ns
    assert model_cache.ensure("tilt") == path
    assert (path / "config.json").stat().st_mtime_ns == stamp  # reused, not copied again


def test_pipeline_engines_block_carries_model_timings(cache_env, monkeypatch):
    from extraction.settings.limits import Limits
    from extraction.pipeline import Pipeline
    from tests.support.engines import FakeExtractor, FakeOcr

    pipeline = Pipeline(FakeOcr(), FakeExtractor(), Limits())
    assert "models" not in pipeline.describe()
    spec = model_cache.get_spec("tilt")
    managed = _write_model(cache_env / "models" / spec.slug)
    (managed / MARKER).write_text("{}")
    model_cache.ensure("tilt")
    models = pipeline.describe()["models"]
    assert models["tilt"]["source"] == "managed" and models["tilt"]["path"] == str(managed)
