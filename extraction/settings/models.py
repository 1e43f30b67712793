"""Where model weights live and where each model comes from (the ``model_cache`` package).

Only our own variables are here. The Hugging Face variables the cache also looks at
(``HF_HOME``, ``HF_HUB_CACHE``, ``HF_HUB_OFFLINE``, ``HF_ENDPOINT``, ``HF_TOKEN``) belong to
``huggingface_hub``: it reads and interprets them itself, so ``model_cache`` reads them the way
the hub does, as plain lookups, instead of giving them a second meaning and a second default
here. The same goes for ``XDG_CACHE_HOME``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings

#: The network volume RunPod mounts into every worker of an endpoint.
RUNPOD_VOLUME = Path("/runpod-volume")


class ModelCacheSettings(Settings):
    """The model cache: its root, downloads, local copies (``MODEL_*``)."""

    model_config = SettingsConfigDict(env_prefix="MODEL_")

    cache_dir: Optional[Path] = Field(
        None,
        description="cache root: managed copies, their download locks and temporary directories",
        json_schema_extra={
            "shown_default": "`/runpod-volume/models` when the volume is mounted, else `~/.cache/receipt-extraction/models`"
        },
    )
    download: bool = Field(
        True,
        description=(
            "`false`: never download; a missing model fails start-up with the prefetch command in the message "
            "(`HF_HUB_OFFLINE=1` does the same)"
        ),
    )
    local_copy_dir: Optional[Path] = Field(
        None,
        description="copy each model from the volume to this local directory before loading (loads from a network volume can be far slower)",
    )
    lock_timeout_s: float = Field(
        3600.0, description="how long a worker waits for another worker's download of the same model, in seconds"
    )
    verify_sha256: bool = Field(True, description="hash LFS files after download (one-time cost)")
    set_offline: bool = Field(
        True,
        description="once the weights are local, set `HF_HUB_OFFLINE=1` for this process so a hub outage cannot stall loading",
    )
    volume: Path = Field(
        RUNPOD_VOLUME,
        validation_alias="RUNPOD_VOLUME",
        description="where the network volume is mounted (its `models/` and `huggingface-cache/hub` are searched)",
    )


class TiltModelSource(Settings):
    """Where the Arctic-TILT weights come from (``TILT_MODEL_*``)."""

    model_config = SettingsConfigDict(env_prefix="TILT_")

    model_id: str = Field(
        "Snowflake/snowflake-arctic-tilt-v1.3", min_length=1, description="Hugging Face repository of the TILT weights"
    )
    model_revision: Optional[str] = Field(
        None,
        description="branch, tag or commit of `TILT_MODEL_ID` (unset: `main`); a pinned revision never falls back to another copy",
    )
    model_dir: Optional[Path] = Field(None, description="directory with the TILT weights, used as is (no cache lookup)")


class PaddleModelSource(Settings):
    """Where one PaddleOCR sub-model comes from; a subclass per model sets the prefix and name."""

    model: str = Field(min_length=1, description="PaddleOCR model name")
    model_id: Optional[str] = Field(
        None,
        description="Hugging Face repository of this PaddleOCR model",
        json_schema_extra={"shown_default": "`PaddlePaddle/` + its model name"},
    )
    model_revision: Optional[str] = Field(
        None, description="branch, tag or commit of this model's repository (unset: `main`)"
    )
    model_dir: Optional[Path] = Field(None, description="directory with this PaddleOCR model, used as is (no cache lookup)")

    @property
    def repo_id(self) -> str:
        return self.model_id or f"PaddlePaddle/{self.model}"


class PaddleDetModelSource(PaddleModelSource):
    """PaddleOCR text detection (``PADDLE_DET_MODEL*``)."""

    model_config = SettingsConfigDict(env_prefix="PADDLE_DET_")

    model: str = Field(
        "PP-OCRv5_server_det", min_length=1, description="PaddleOCR text detection model (its repository: `PaddlePaddle/<name>`)"
    )


class PaddleRecModelSource(PaddleModelSource):
    """PaddleOCR text recognition (``PADDLE_REC_MODEL*``)."""

    model_config = SettingsConfigDict(env_prefix="PADDLE_REC_")

    model: str = Field(
        "PP-OCRv5_server_rec", min_length=1, description="PaddleOCR text recognition model (its repository: `PaddlePaddle/<name>`)"
    )


class PaddleTextlineOriModelSource(PaddleModelSource):
    """PaddleOCR text-line orientation (``PADDLE_TEXTLINE_ORI_MODEL*``), used when that classifier is on."""

    model_config = SettingsConfigDict(env_prefix="PADDLE_TEXTLINE_ORI_")

    model: str = Field(
        "PP-LCNet_x1_0_textline_ori",
        min_length=1,
        description="PaddleOCR text-line orientation model, used with `PADDLE_USE_TEXTLINE_ORIENTATION` (its repository: `PaddlePaddle/<name>`)",
    )
