"""Engine construction and availability of the TILT extractor, driven through the fake vllm."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extraction.extractors import tilt
from extraction.extractors.tilt import TiltExtractor
from extraction.extractors.tilt.settings import TiltSettings
from tests.support.tilt import FAKES, clean_env, drop_vllm_modules, fake_vllm, make_weights  # noqa: F401 - fixtures


def test_engine_built_with_documented_args_and_env(fake_vllm):
    extractor = TiltExtractor(fallback=None)
    built = fake_vllm.built[-1]
    args = built["args"]
    assert args.task == "tilt_generate"
    assert args.scheduler_cls == "vllm.tilt.scheduler.Scheduler"
    assert args.enforce_eager is True
    assert args.disable_async_output_proc is True
    assert args.dtype == "bfloat16"
    assert args.max_model_len == 32768
    assert args.gpu_memory_utilization == 0.8
    assert args.max_num_seqs == 16
    assert args.additional_config == {"max_num_batched_encoder_tokens": 4096, "max_chunks_in_batch": 0}
    assert Path(args.model) == extractor.engine.model_path
    assert built["env"] == {"VLLM_ATTENTION_BACKEND": "XFORMERS", "VLLM_USE_V1": "0", "HF_HUB_OFFLINE": "1"}
    assert extractor.engine._sampling_params.temperature == 0
    assert extractor.engine._sampling_params.logprobs == 0
    assert extractor.engine._sampling_params.max_tokens == 512  # hf_config.max_output_length


def test_engine_knobs_from_env(fake_vllm, monkeypatch):
    monkeypatch.setenv("TILT_MAX_MODEL_LEN", "16384")
    monkeypatch.setenv("TILT_GPU_MEMORY_UTILIZATION", "0.6")
    monkeypatch.setenv("TILT_MAX_NUM_SEQS", "4")
    monkeypatch.setenv("TILT_MAX_BATCHED_ENCODER_TOKENS", "2048")
    monkeypatch.setenv("TILT_MAX_OUTPUT_TOKENS", "64")
    extractor = TiltExtractor(fallback=None)
    args = fake_vllm.built[-1]["args"]
    assert (args.max_model_len, args.gpu_memory_utilization, args.max_num_seqs) == (16384, 0.6, 4)
    assert args.additional_config["max_num_batched_encoder_tokens"] == 2048
    assert extractor.engine._sampling_params.max_tokens == 64
    assert extractor.describe()["max_model_len"] == 16384


def test_bad_env_value_is_reported(clean_env, monkeypatch):
    monkeypatch.setenv("TILT_MAX_NUM_SEQS", "many")
    with pytest.raises(ValueError, match="TILT_MAX_NUM_SEQS"):
        TiltSettings.from_env()


def test_doc_token_cap_never_exceeds_model_len():
    assert TiltSettings(max_model_len=4096, max_doc_tokens=8192).doc_token_cap < 4096
    assert TiltSettings(max_model_len=32768, max_doc_tokens=8192).doc_token_cap == 8192


def test_missing_weights_fail_loudly(fake_vllm, monkeypatch, tmp_path):
    monkeypatch.setenv("TILT_MODEL_PATH", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError, match="TILT_MODEL_PATH"):
        TiltExtractor(fallback=None)


def test_is_available_with_fake_vllm_and_weights(fake_vllm):
    drop_vllm_modules()
    assert tilt.is_available() is True
    assert "vllm" not in sys.modules  # found by file lookup, never imported


def test_is_available_false_without_weights(fake_vllm, monkeypatch, tmp_path):
    monkeypatch.setenv("TILT_MODEL_PATH", str(tmp_path / "empty"))
    assert tilt.is_available() is False


def test_is_available_false_for_upstream_vllm(clean_env, monkeypatch, tmp_path):
    """A vllm without the TILT modules (upstream) is not enough."""
    upstream = tmp_path / "site" / "vllm"
    upstream.mkdir(parents=True)
    (upstream / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("TILT_MODEL_PATH", str(make_weights(tmp_path / "models")))
    assert tilt.is_available() is False


def test_is_available_false_without_vllm(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("TILT_MODEL_PATH", str(make_weights(tmp_path / "models")))
    if tilt._vllm_has_tilt():  # pragma: no cover - a GPU image with the real fork
        pytest.skip("the TILT fork of vllm is installed here")
    assert tilt.is_available() is False


def test_importing_the_extractor_loads_no_gpu_library():
    code = (
        "import sys; import extraction.extractors.tilt as t; t.is_available();"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('vllm','torch')]; print(bad); sys.exit(1 if bad else 0)"
    )
    env_path = f"{FAKES}"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_model_path_comes_from_the_model_cache_when_unset(fake_vllm, monkeypatch, tmp_path):
    import types

    weights = make_weights(tmp_path / "volume")
    calls = []
    cache = types.ModuleType("model_cache")
    cache.locate = lambda name: calls.append(("locate", name)) or weights
    cache.ensure = lambda name: calls.append(("ensure", name)) or weights
    monkeypatch.setitem(sys.modules, "model_cache", cache)
    monkeypatch.delenv("TILT_MODEL_PATH")
    drop_vllm_modules()
    assert tilt.is_available() is True
    assert calls == [("locate", "tilt")]
    from vllm.engine.llm_engine import Behaviour, LLMEngine

    LLMEngine.behaviour = Behaviour()
    extractor = TiltExtractor(fallback=None)
    assert ("ensure", "tilt") in calls
    assert Path(LLMEngine.behaviour.built[-1]["args"].model) == weights == extractor.engine.model_path


def test_is_available_false_when_the_model_cache_has_nothing(fake_vllm, monkeypatch, tmp_path):
    import types

    cache = types.ModuleType("model_cache")
    cache.locate = lambda name: None
    monkeypatch.setitem(sys.modules, "model_cache", cache)
    monkeypatch.delenv("TILT_MODEL_PATH")
    monkeypatch.setenv("MODEL_CACHE_DIR", str(tmp_path / "empty"))
    assert tilt.is_available() is False
