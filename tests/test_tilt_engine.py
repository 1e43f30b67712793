"""Engine construction and availability of the TILT extractor, driven through the fake vllm."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extraction.extractors import tilt
from extraction.extractors.tilt import TiltExtractor
from extraction.settings import SettingsError, load_settings
from extraction.settings.tilt import TiltSettings
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
    assert args.max_model_len == 1024  # decoder tokens: the answer, not the document
    assert args.gpu_memory_utilization == 0.8
    assert args.max_num_seqs == 16
    assert args.additional_config == {"max_num_batched_encoder_tokens": 4096, "max_chunks_in_batch": 0}
    assert Path(args.model) == extractor.engine.model_path
    assert built["env"] == {"VLLM_ATTENTION_BACKEND": "XFORMERS", "VLLM_USE_V1": "0", "HF_HUB_OFFLINE": "1"}
    assert extractor.engine._sampling_params.temperature == 0
    assert extractor.engine._sampling_params.logprobs == 0
    assert extractor.engine._sampling_params.max_tokens == 512  # hf_config.max_output_length


def test_engine_knobs_from_env(fake_vllm, monkeypatch):
    monkeypatch.setenv("TILT_MAX_MODEL_LEN", "16384")  # accepted (wasteful): the KV pool must hold it
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
    with pytest.raises(SettingsError, match="TILT_MAX_NUM_SEQS"):
        load_settings(TiltSettings)


@pytest.mark.parametrize("name, value", [("TILT_QUESTION_STYLE", "prose"), ("TILT_LINE_ITEMS", "tilt"), ("TILT_DTYPE", "int8")])
def test_choices_are_checked(clean_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings(TiltSettings)


def test_encoder_budget_below_one_chunk_fails_at_start_up_with_the_variable(fake_vllm, monkeypatch):
    """The fork's TiltSchedulerConfig raises deep inside the engine build; we say it first, by name."""
    monkeypatch.setenv("TILT_MAX_BATCHED_ENCODER_TOKENS", "512")
    with pytest.raises(SettingsError, match=r"TILT_MAX_BATCHED_ENCODER_TOKENS=512 is below the model's chunk_length \(1024\)"):
        TiltExtractor(fallback=None)
    assert fake_vllm.built == []  # failed before vllm was asked to build anything


def test_chunk_length_is_read_from_the_model_config(fake_vllm, monkeypatch, tmp_path):
    weights = make_weights(tmp_path / "small-chunks", config='{"model_type": "tilt", "chunk_length": 512}')
    monkeypatch.setenv("TILT_MODEL_PATH", str(weights))
    monkeypatch.setenv("TILT_MAX_BATCHED_ENCODER_TOKENS", "512")
    extractor = TiltExtractor(fallback=None)  # 512 >= this model's chunk_length: accepted
    assert extractor.engine.limits.chunk_length == 512 and extractor.engine.limits.chunks_per_step == 1


def test_model_len_must_exceed_the_answer(fake_vllm, monkeypatch):
    monkeypatch.setenv("TILT_MAX_MODEL_LEN", "256")
    with pytest.raises(SettingsError, match="TILT_MAX_MODEL_LEN=256 must exceed the longest answer"):
        TiltExtractor(fallback=None)
    monkeypatch.setenv("TILT_MAX_OUTPUT_TOKENS", "200")
    TiltExtractor(fallback=None)


def test_limits_are_derived_from_the_engine(fake_vllm):
    extractor = TiltExtractor(fallback=None)
    limits = extractor.engine.limits
    assert (limits.chunk_length, limits.chunks_per_step, limits.max_images_in_chunk) == (1024, 4, 4)
    assert limits.kv_tokens == (140_000 // 16 - int(0.01 * (140_000 // 16)) - 2) * 16
    assert not limits.empty_step_fixed
    # unpatched fork: one step's worth of chunks for the longest question
    assert limits.doc_token_cap(30) == 4 * (1024 - 30)
    facts = extractor.describe()["limits"]
    assert facts["doc_token_cap"] == 4 * (1024 - 256) and facts["empty_step_fixed"] is False


def test_patched_fork_lifts_the_single_step_cap(fake_vllm, monkeypatch):
    import vllm.tilt

    monkeypatch.setattr(vllm.tilt, "PATCHES", ("scheduler-abort-signature", "empty-step-sampler-output"))
    limits = TiltExtractor(fallback=None).engine.limits
    assert limits.empty_step_fixed
    assert limits.doc_token_cap(30) == 8192  # TILT_MAX_DOC_TOKENS, no longer the 4-chunk step


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
