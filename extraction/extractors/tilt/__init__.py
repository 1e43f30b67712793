"""The Arctic-TILT extractor (GPU, in-process vLLM fork).

Importing this package is cheap: vllm is imported only when :class:`TiltExtractor` builds
its engine, and :func:`is_available` only looks for files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from extraction.extractors.tilt.extractor import TiltExtractor
from extraction.extractors.tilt.weights import local_model_path, weights_present
from extraction.settings import SettingsError, load_settings
from extraction.settings.tilt import TiltSettings

#: Files of the TILT fork that upstream vLLM lacks (relative to the vllm package directory).
TILT_MODULE_FILES = ("multimodal/tilt_processor.py", "tilt/scheduler.py")


def _vllm_has_tilt() -> bool:
    """vllm is installed and is the TILT fork, found without importing it (importing loads torch)."""
    try:
        spec = importlib.util.find_spec("vllm")
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(
        all((Path(location) / rel).is_file() for rel in TILT_MODULE_FILES)
        for location in spec.submodule_search_locations
    )


def is_available() -> bool:
    """True when the TILT fork of vLLM is installed and the weights are on disk."""
    if not _vllm_has_tilt():
        return False
    try:
        settings = load_settings(TiltSettings)
    except SettingsError:  # malformed env: not usable, and building it would fail loudly anyway
        return False
    return weights_present(local_model_path(settings))


__all__ = ["TiltExtractor", "is_available"]
