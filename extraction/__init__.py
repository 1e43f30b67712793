"""Receipt and invoice field extraction: documents -> words with boxes -> fields -> checked JSON.

``from extraction import extract`` gives the local Python API (:mod:`extraction.local.api`);
it is imported on first use, so importing this package loads no engine.
"""

from typing import Any

__version__ = "0.1.0"

#: Public names loaded on first access: name -> module that defines it.
_LAZY = {
    "extract": "extraction.local.api",
    "save_overlay": "extraction.overlay",
    "overlay_images": "extraction.overlay",
}

__all__ = ["extract", "save_overlay", "overlay_images", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'extraction' has no attribute {name!r}")
