"""Which OCR engine and extractor to use: a small registry and the ``auto`` rule.

``auto`` takes the first available GPU engine (its package importable *and* its weights
present), else the CPU engine. Availability checks are cheap and never import torch, vLLM or
Paddle, so a CPU install never loads them.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any, Callable

from extraction.settings import load_settings
from extraction.settings.worker import WorkerSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineSpec:
    factory: str  # "module:Class" built with no arguments
    available: str  # "module:function" returning bool, cheap
    gpu: bool = False


#: In ``auto`` order: first available wins.
OCR_ENGINES: dict[str, EngineSpec] = {
    "paddle": EngineSpec("extraction.ocr.paddle:PaddleOcrEngine", "extraction.ocr.paddle:is_available", gpu=True),
    "rapidocr": EngineSpec("extraction.ocr.rapid:RapidOcrEngine", "extraction.ocr.rapid:is_available"),
}

EXTRACTORS: dict[str, EngineSpec] = {
    "tilt": EngineSpec("extraction.extractors.tilt:TiltExtractor", "extraction.extractors.tilt:is_available", gpu=True),
    "rules": EngineSpec("extraction.extractors.layout.extractor:RulesExtractor", "extraction.extractors.layout.extractor:is_available"),
}


def _load(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def is_available(spec: EngineSpec) -> bool:
    try:
        check: Callable[[], bool] = _load(spec.available)
        return bool(check())
    except Exception as exc:  # an engine whose check breaks is simply not available
        log.debug("availability check %s failed: %s", spec.available, exc)
        return False


def resolve(kind: str, name: str | None, registry: dict[str, EngineSpec], env_var: str) -> str:
    """The engine name to build: explicit name, else the ``env_var`` setting (default ``auto``)."""
    # WorkerSettings has no prefix: its field for OCR_ENGINE is ocr_engine, for EXTRACTOR extractor.
    chosen = (name or getattr(load_settings(WorkerSettings), env_var.lower())).strip().lower()
    if chosen == "auto":
        ordered = sorted(registry.items(), key=lambda item: not item[1].gpu)  # GPU engines first
        for engine_name, spec in ordered:
            if is_available(spec):
                return engine_name
        raise RuntimeError(f"no {kind} engine is available (tried: {', '.join(registry)})")
    if chosen not in registry:
        raise ValueError(f"unknown {kind} engine {chosen!r} (set {env_var} to one of: auto, {', '.join(registry)})")
    return chosen


def build(name: str, registry: dict[str, EngineSpec]) -> Any:
    return _load(registry[name].factory)()


def build_ocr(name: str | None = None) -> Any:
    return build(resolve("OCR", name, OCR_ENGINES, "OCR_ENGINE"), OCR_ENGINES)


def build_extractor(name: str | None = None) -> Any:
    return build(resolve("extractor", name, EXTRACTORS, "EXTRACTOR"), EXTRACTORS)
