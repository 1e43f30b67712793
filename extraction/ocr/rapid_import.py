"""Importing RapidOCR without building its table of model downloads, and finding its model files.

Why: ``rapidocr.inference_engine.base`` builds, when imported, an OmegaConf tree of every model
RapidOCR can download (``default_models.yaml``, ~1600 lines): about half a second on a quiet
core, several seconds on a busy one, in the worker and in every reader process, for a table
whose only use here is to name the two or three files the wheel already ships. Imported through
:func:`import_rapidocr`, that table is built the first time RapidOCR itself asks for it (its own
sessions do, ours do not); RapidOCR's language routing, which reads the same file once more
when imported, gets it from the C YAML parser as plain dictionaries, and so does
:func:`shipped_model_info`.
"""

from __future__ import annotations

import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

_BASE_MODULE = "rapidocr.inference_engine.base"
_LOCK = threading.Lock()


class _ModelTableOnFirstUse:
    """Stands for ``InferSession.model_info``: the class attribute is built on first access."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._table: Any = None
        self._lock = threading.Lock()

    def __get__(self, instance: Any, owner: Any) -> Any:
        with self._lock:
            if self._table is None:
                from omegaconf import OmegaConf

                self._table = OmegaConf.load(self.path)
            return self._table


def import_rapidocr() -> Any:
    """``rapidocr``, imported with its model table read by the C YAML parser (its route lookup
    reads it with ``.get`` only) and its download table left for first use; idempotent."""
    with _LOCK:
        if _BASE_MODULE not in sys.modules:
            from omegaconf import OmegaConf

            real_load = OmegaConf.load
            table_name = "default_models.yaml"

            def load(path: Any, *args: Any, **kwargs: Any) -> Any:
                return _read_table(Path(path)) if Path(path).name == table_name else real_load(path, *args, **kwargs)

            OmegaConf.load = staticmethod(load)  # type: ignore[method-assign, assignment]
            try:
                import rapidocr.inference_engine.base as base
            finally:
                OmegaConf.load = real_load  # type: ignore[method-assign]
            if isinstance(base.InferSession.__dict__.get("model_info"), dict):
                # get_model_url selects from it with OmegaConf: a real tree, built on first use
                base.InferSession.model_info = _ModelTableOnFirstUse(Path(base.MODEL_URL_PATH))
        import rapidocr

        return rapidocr


@lru_cache(maxsize=4)
def _read_table(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def _model_table() -> dict[str, Any]:
    import_rapidocr()
    from rapidocr.inference_engine.base import MODEL_URL_PATH

    return _read_table(Path(MODEL_URL_PATH))


def shipped_model_info(ocr_version: Any, task_type: Any, lang_type: Any, model_type: Any) -> dict[str, Any]:
    """RapidOCR's entry for an ONNX model (``model_dir``, ``SHA256``), as its ``get_model_url``
    finds it, from plain dictionaries."""
    import_rapidocr()
    from rapidocr.utils.model_resolver import route_to_model_key

    models = _model_table().get("onnxruntime", {}).get(ocr_version.value, {}).get(task_type.value) or {}
    key = route_to_model_key(task_type, ocr_version, lang_type, model_type)
    if key is None or key not in models:
        raise ValueError(f"RapidOCR has no ONNX model for {ocr_version.value} {task_type.value} {lang_type} {model_type.value}")
    return dict(models[key])
