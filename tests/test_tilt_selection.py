"""``auto`` picks TILT when its vllm fork and weights are present, the CPU path otherwise."""

from __future__ import annotations

import pytest

from extraction import engines
from extraction.extractors.tilt import TiltExtractor
from tests.support.tilt import clean_env, fake_vllm  # noqa: F401 - fixtures


@pytest.fixture
def registry(monkeypatch):
    """The extractor registry, with no ``EXTRACTOR`` override in the environment."""
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


def test_auto_picks_rules_without_vllm(clean_env, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("TILT_MODEL_PATH", str(tmp_path / "missing"))
    assert engines.resolve("extractor", "auto", registry, "EXTRACTOR") == "rules"
