"""Fake of the Arctic-TILT fork of vLLM 0.8.3, for CPU tests (see tests/support/fakes/README.md)."""

from vllm.engine.arg_utils import EngineArgs
from vllm.engine.llm_engine import LLMEngine
from vllm.sampling_params import SamplingParams

FAKE = True

__all__ = ["EngineArgs", "LLMEngine", "SamplingParams", "FAKE"]
