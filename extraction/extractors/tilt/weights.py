"""Where the Arctic-TILT weights are, found without a network call, and the model's config.

Kept free of vllm/torch imports: ``is_available()`` and the CPU test-suite use it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from extraction.settings.tilt import DEFAULT_MODEL_ID, TiltSettings

#: Where weights live when neither TILT_MODEL_PATH nor the model cache says otherwise.
DEFAULT_MODELS_DIR = "/runpod-volume/models"


def default_model_path(model_id: str = DEFAULT_MODEL_ID) -> Path:
    """Where the weights are when TILT_MODEL_PATH is unset, without any network call.

    The model cache package (``model_cache.locate("tilt")``) knows every place a copy may be
    (its managed dir, RunPod's cached-model layout, ``TILT_MODEL_DIR``); without it, or when it
    finds nothing, the conventional ``$MODEL_CACHE_DIR/<org>--<name>`` is returned.
    """
    try:
        import model_cache  # type: ignore[import-not-found]  # noqa: PLC0415

        found = model_cache.locate("tilt")
        if found is not None:
            return Path(found)
    except Exception:  # noqa: BLE001 - cache package absent or broken: fall back to the default dir
        pass
    root = Path(os.environ.get("MODEL_CACHE_DIR", DEFAULT_MODELS_DIR))
    return root / model_id.replace("/", "--")


def local_model_path(settings: TiltSettings) -> Path:
    """The local weights directory, without downloading anything."""
    return settings.model_path if settings.model_path is not None else default_model_path(settings.model_id)


def resolve_model_path(settings: TiltSettings) -> Path:
    """Local weights path: TILT_MODEL_PATH, else ``model_cache.ensure("tilt")`` when installed.

    ``ensure`` finds the weights on the volume (or fetches them once, if the deployment allows
    downloads) and puts the process offline afterwards.
    """
    if settings.model_path is None:
        try:
            import model_cache  # type: ignore[import-not-found]  # noqa: PLC0415
        except ImportError:
            model_cache = None
        if model_cache is not None:
            return Path(model_cache.ensure("tilt"))
    return local_model_path(settings)


def weights_present(path: Path) -> bool:
    """A directory with a config and at least one weight file (safetensors or bin)."""
    try:
        if not (path / "config.json").is_file():
            return False
        return any(path.glob("*.safetensors")) or any(path.glob("*.bin"))
    except OSError:
        return False


def read_model_config(path: Path) -> dict[str, Any]:
    """The weights' ``config.json`` (what the fork's ``TiltConfig`` is built from), ``{}`` if unreadable."""
    try:
        data = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
