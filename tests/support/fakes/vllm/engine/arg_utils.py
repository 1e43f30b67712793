"""EngineArgs with the real field names and defaults of vLLM 0.8.3 (the subset TILT uses).

Like the real dataclass, an unknown keyword (e.g. ``disable_log_requests``, which only
AsyncEngineArgs has) raises TypeError.
"""

from dataclasses import dataclass
from typing import Any, Dict, Optional, Type, Union


@dataclass
class EngineArgs:
    model: str = "facebook/opt-125m"
    tokenizer: Optional[str] = None
    task: str = "auto"
    dtype: str = "auto"
    max_model_len: Optional[int] = None
    gpu_memory_utilization: float = 0.90
    max_num_seqs: Optional[int] = None
    disable_log_stats: bool = False
    enforce_eager: Optional[bool] = None
    disable_async_output_proc: bool = False
    scheduler_cls: Union[str, Type[object]] = "vllm.core.scheduler.Scheduler"
    additional_config: Optional[Dict[str, Any]] = None
    enable_chunked_prefill: Optional[bool] = None
    enable_prefix_caching: Optional[bool] = None
