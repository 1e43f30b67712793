"""``auto`` picks TILT when its vllm fork and weights are present, the CPU path otherwise."""

from __future__ import annotations

import pytest

from tilt_support import clean_env, fake_vllm  # noqa: F401 - fixtures

from extraction import engines
from extraction.extractors.tilt import TiltExtractor

TILT_SPEC = engines.EngineSpec("extraction.extractors.tilt:TiltExtractor", "extraction.extractors.tilt:is_available", gpu=True)


@pytest.fixture
def registry(monkeypatch):
    """The registry with ``tilt`` in it (registered here until engines.py lists it)."""
    if "tilt" not in engines.EXTRACTORS:
        monkeypatch.setitem(engines.EXTRACTORS, "tilt", TILT_SPEC)
    monkeypatch.delenv("EXTRACTOR", raising=False)
    return engines.EXTRACTORS


def test_tilt_spec_points_at_this_package(registry):
    spec = registry["tilt"]
    assert spec.gpu is True
    assert engines._load(spec.factory) is TiltExtractor


def test_auto_builds_tilt_with_fake_vllm_and_weights(fake_vllm, registry, monkeypatch):
    monkeypatch.setattr("extraction.extractors.tilt.extractor._cpu_extractor", lambda: None)
    extractor = engines.build_extractor("auto")
    assert isinstance(extractor, TiltExtractor)
    assert len(fake_vllm.built) == 1 and fake_vllm.built[0]["args"].task == "tilt_generate"
    assert extractor.describe()["name"] == "tilt"


def test_auto_does_not_pick_tilt_without_vllm(clean_env, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("TILT_MODEL_PATH", str(tmp_path / "missing"))
    chosen = None
    try:
        chosen = engines.resolve("extractor", "auto", registry, "EXTRACTOR")
    except RuntimeError:  # no CPU extractor in this build either
        pass
    assert chosen != "tilt"


def test_auto_picks_rules_without_vllm(clean_env, registry, tmp_path, monkeypatch):
    pytest.importorskip("extraction.extractors.layout.extractor")
    monkeypatch.setenv("TILT_MODEL_PATH", str(tmp_path / "missing"))
    assert engines.resolve("extractor", "auto", registry, "EXTRACTOR") == "rules"
