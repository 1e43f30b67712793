"""Which models the worker uses, where they come from, and how to tell a copy is whole.

One table so that the prefetch command, the cold-start path and the engines agree on
names. Repository ids, revisions and explicit directories can be overridden by env
(``TILT_MODEL_ID``, ``TILT_MODEL_REVISION``, ``PADDLE_DET_MODEL``, ``<PREFIX>_MODEL_DIR``...:
``extraction.settings.models``) without code changes.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from extraction.settings import load_settings
from extraction.settings.models import (
    PaddleDetModelSource,
    PaddleModelSource,
    PaddleRecModelSource,
    PaddleTextlineOriModelSource,
    TiltModelSource,
)


@dataclass(frozen=True)
class ModelSpec:
    """A model the worker may load.

    ``required`` lists glob patterns that must each match at least one file for a directory
    to count as this model; ``a|b`` means either alternative, ``a+b`` an alternative that
    needs both. ``model_name`` is the name the loading library expects next to the directory
    (PaddleOCR raises on a mismatch).
    """

    name: str
    repo_id: str
    group: str  # "tilt" or "ocr": what ``prefetch --tilt`` / ``--ocr`` select
    required: tuple[str, ...]
    revision: str | None = None
    allow_patterns: tuple[str, ...] | None = None
    model_name: str | None = None
    env_prefix: str = ""
    optional: bool = False  # prefetched with its group, but engines may run without it
    description: str = ""
    directory: Path | None = None  # ``<PREFIX>_MODEL_DIR``: an explicit local copy, used as is

    @property
    def slug(self) -> str:
        """Directory name for a managed copy: ``org--name`` (filesystem-safe, unique per repo)."""
        return self.repo_id.replace("/", "--")

    @property
    def dir_env(self) -> str:
        """Env var that points at an explicit local directory for this model."""
        return f"{self.env_prefix}_MODEL_DIR"


#: The model files PaddleX can run: ``inference.json`` or ``.pdmodel`` with ``.pdiparams``, or ONNX.
PADDLE_MODEL_FILES = "inference.json+inference.pdiparams|inference.pdmodel+inference.pdiparams|inference.onnx"


def _paddle(name: str, source: type[PaddleModelSource], description: str, optional: bool = False) -> ModelSpec:
    settings = load_settings(source)
    return ModelSpec(
        name=name,
        repo_id=settings.repo_id,
        revision=settings.model_revision,
        group="ocr",
        # What PaddleX loads: a Paddle program (inference.json, or .pdmodel from older exports)
        # with its weights, or an ONNX model for engine="onnxruntime". A folder with only the
        # weights passes a looser check and then fails inside PaddleX ("No Paddle model files").
        required=("inference.yml", PADDLE_MODEL_FILES),
        allow_patterns=("*.yml", "*.json", "*.pdiparams", "*.pdmodel", "*.onnx", "*.txt"),
        model_name=settings.model,
        env_prefix=source.model_config["env_prefix"].rstrip("_"),
        optional=optional,
        description=description,
        directory=settings.model_dir.expanduser() if settings.model_dir else None,
    )


def registry() -> dict[str, ModelSpec]:
    """The model table, with env overrides applied (read at call time so tests can set env)."""
    tilt_source = load_settings(TiltModelSource)
    tilt = ModelSpec(
        name="tilt",
        repo_id=tilt_source.model_id,
        revision=tilt_source.model_revision,
        group="tilt",
        required=("config.json", "*.safetensors|*.bin"),
        env_prefix="TILT",
        description="Arctic-TILT document model (extractor 'tilt')",
        directory=tilt_source.model_dir.expanduser() if tilt_source.model_dir else None,
    )
    specs = [
        tilt,
        _paddle("paddle-det", PaddleDetModelSource, "PaddleOCR text detection"),
        _paddle("paddle-rec", PaddleRecModelSource, "PaddleOCR text recognition"),
        _paddle(
            "paddle-textline-ori",
            PaddleTextlineOriModelSource,
            "PaddleOCR text-line orientation (used when PADDLE_USE_TEXTLINE_ORIENTATION=1)",
            optional=True,
        ),
    ]
    return {spec.name: spec for spec in specs}


def get_spec(name: str) -> ModelSpec:
    specs = registry()
    if name not in specs:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(specs)}")
    return specs[name]


def group_names(group: str) -> list[str]:
    return [spec.name for spec in registry().values() if spec.group == group]


def missing_required(spec: ModelSpec, directory: Path) -> list[str]:
    """The ``required`` patterns that match no file in ``directory`` (empty list: looks whole).

    Files are looked up with ``exists()`` so the symlinks of a Hugging Face cache snapshot
    count only when their blob is really there.
    """
    try:
        names = [p.name for p in directory.iterdir() if p.exists() and p.is_file()]
    except OSError:
        return list(spec.required)
    missing = []
    for pattern in spec.required:
        alternatives = [alt.split("+") for alt in pattern.split("|")]
        if not any(all(any(fnmatch.fnmatch(n, part) for n in names) for part in parts) for parts in alternatives):
            missing.append(pattern)
    return missing


def readable(pattern: str) -> str:
    """``a+b|c`` -> ``a and b, or c`` (for messages)."""
    return ", or ".join(" and ".join(alt.split("+")) for alt in pattern.split("|"))
