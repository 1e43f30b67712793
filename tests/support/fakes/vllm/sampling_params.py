from dataclasses import dataclass
from typing import Optional


@dataclass
class SamplingParams:
    """The fields the TILT example sets; the real class has many more, all defaulted."""

    temperature: float = 1.0
    logprobs: Optional[int] = None
    max_tokens: Optional[int] = 16

    def __post_init__(self) -> None:
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}.")
        if self.logprobs is not None and self.logprobs < 0:
            raise ValueError(f"logprobs must be non-negative, got {self.logprobs}.")
