"""Where the repository, its samples and the optional shared datasets are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
DATASETS = SHARED / "datasets"
FAKES = Path(__file__).resolve().parent / "fakes"  # stand-in packages (vllm, paddleocr) put on sys.path by tests


def dataset_dir(name: str) -> Path:
    """A shared dataset folder, or skip the test when this checkout has none (they are not in the repository)."""
    path = DATASETS / name
    if not (path / "manifest.jsonl").exists():
        pytest.skip(f"dataset {name} not available (looked in {path})")
    return path
