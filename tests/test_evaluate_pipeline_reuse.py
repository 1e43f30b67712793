"""The harness builds its pipeline once per worker process, not once per document."""

from __future__ import annotations

import functools
import pickle
from pathlib import Path
from typing import Any

from extraction.evaluate.manifest import load_dataset
from extraction.evaluate.runner import factory_key, run_datasets
from tests.test_evaluate_heldout import FakePipeline, write_manifest


def build(kind: str, *, seed: int = 0) -> Any:
    """A pipeline factory taking arguments, as ``python -m extraction.evaluate`` makes one."""
    return FakePipeline()


def test_a_factory_keeps_its_key_through_pickling_and_another_one_does_not() -> None:
    factory = functools.partial(build, "fake", seed=1)
    copy = pickle.loads(pickle.dumps(factory))
    assert copy is not factory
    assert factory_key(copy) == factory_key(factory)
    assert factory_key(functools.partial(build, "fake", seed=2)) != factory_key(factory)
    assert factory_key(FakePipeline) == FakePipeline


def test_two_worker_processes_build_the_pipeline_once_each(tmp_path: Path) -> None:
    data = write_manifest(tmp_path / "set", [{"id": f"d{i}", "fields": {"total": "1.00"}} for i in range(8)])
    [(records, _)] = run_datasets([load_dataset(data)], functools.partial(build, "fake"), workers=2, progress=False)
    assert len(records) == 8
    pids = {r["pid"] for r in records}
    built = [r for r in records if "pipeline" in r]  # a record carries the description of a freshly built pipeline
    assert len(built) == len(pids) <= 2
