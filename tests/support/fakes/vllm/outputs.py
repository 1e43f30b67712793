from dataclasses import dataclass, field
from typing import Optional


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list[int]
    cumulative_logprob: Optional[float]
    logprobs: Optional[list[dict]]  # one {token_id: Logprob} per generated token
    finish_reason: Optional[str] = None  # "stop" | "length" | "abort"


@dataclass
class RequestOutput:
    request_id: str
    prompt: Optional[str]
    prompt_token_ids: Optional[list[int]]
    prompt_logprobs: Optional[list]
    outputs: list[CompletionOutput]
    finished: bool
    encoder_prompt: Optional[str] = None
    encoder_prompt_token_ids: Optional[list[int]] = field(default=None)
