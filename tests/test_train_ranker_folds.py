"""The ranker trainer's cross-validation keeps each group (an ordering system, a layout) whole."""

from __future__ import annotations

from builder.train_ranker import cv_folds


def test_rows_of_one_group_share_a_fold_and_folds_are_balanced() -> None:
    groups = [0] * 8 + [1] * 4 + [2] * 4 + [3] * 2 + [4] * 2
    folds = cv_folds(groups, docs=list(range(len(groups))), folds=4)
    by_group: dict[int, set[int]] = {}
    for g, k in zip(groups, folds):
        by_group.setdefault(g, set()).add(k)
    assert all(len(ks) == 1 for ks in by_group.values())
    assert len(set(folds)) == 4
    assert by_group[0] != by_group[1] and by_group[1] != by_group[2]


def test_a_single_group_falls_back_to_folds_by_document() -> None:
    assert cv_folds([5, 5, 5, 5], docs=[0, 1, 2, 3], folds=2) == [0, 1, 0, 1]


def test_param_overrides_are_typed_like_the_defaults_and_unknown_names_refused():
    import pytest

    from builder.train_ranker import PARAMS, parse_params

    overrides = parse_params(["num_leaves=7", "learning_rate=0.1"])
    assert overrides == {"num_leaves": 7, "learning_rate": 0.1}
    assert isinstance(overrides["num_leaves"], type(PARAMS["num_leaves"]))
    with pytest.raises(SystemExit):
        parse_params(["leaves=7"])
    with pytest.raises(SystemExit):
        parse_params(["num_leaves"])
