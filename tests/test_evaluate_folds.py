"""Cross-fitting folds of a split: one side's groups divided in two, each half held out once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.evaluate.splits import SplitError, fold_split, load_split, write_split
from extraction.evaluate.splits import main as splits_main


def _split(tmp_path: Path) -> Path:
    """Side A: one large group; side B: six groups of 1-3 documents."""
    docs = {f"a{i}": ["A", "system-a"] for i in range(10)}
    sizes = {"s1": 3, "s2": 3, "s3": 2, "s4": 2, "s5": 1, "s6": 1}
    for group, size in sizes.items():
        for i in range(size):
            docs[f"{group}-{i}"] = ["B", group]
    content = {"version": 1, "name": "toy-by-source", "grouping": "source", "documents": {"toy": docs}}
    path = tmp_path / "toy.json"
    write_split(path, content)
    return path


def test_each_fold_holds_out_half_of_the_side_and_tunes_on_the_rest(tmp_path: Path) -> None:
    content = json.loads(_split(tmp_path).read_text())
    one, two = fold_split(content, "B", seed=3)
    held = []
    for number, fold in enumerate((one, two), start=1):
        path = tmp_path / f"f{number}.json"
        write_split(path, fold)
        split = load_split(path)  # no group on both sides
        docs = split.documents["toy"]
        assert all(docs[f"a{i}"][0] == "A" for i in range(10))  # the other side is always tuned on
        out = {g for s, g in docs.values() if s == "B"}
        assert out and "system-a" not in out
        held.append(out)
        assert fold["derived_from"] == {"split": "toy-by-source", "side": "B", "fold": number, "of": 2}
    assert held[0].isdisjoint(held[1]) and held[0] | held[1] == {"s1", "s2", "s3", "s4", "s5", "s6"}
    sizes = [sum(1 for s, g in load_split(tmp_path / f"f{n}.json").documents["toy"].values() if s == "B") for n in (1, 2)]
    assert sizes == [6, 6]  # halves balanced by documents


def test_folds_are_reproducible_and_need_two_groups(tmp_path: Path) -> None:
    path = _split(tmp_path)
    args = ["fold", str(path), "--side", "B", "--seed", "1", "--out"]
    assert splits_main([*args, str(tmp_path / "1.json"), str(tmp_path / "2.json")]) == 0
    assert splits_main([*args, str(tmp_path / "3.json"), str(tmp_path / "4.json")]) == 0
    assert json.loads((tmp_path / "1.json").read_text())["documents"] == json.loads((tmp_path / "3.json").read_text())["documents"]
    with pytest.raises(SplitError, match="fewer than two groups"):
        fold_split(json.loads(path.read_text()), "A")
