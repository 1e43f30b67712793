from dataclasses import dataclass
from typing import Optional


@dataclass
class Logprob:
    """Same fields as vllm.sequence.Logprob."""

    logprob: float
    rank: Optional[int] = None
    decoded_token: Optional[str] = None
