"""``--group-by`` and ``--split``/``--side`` for ``python -m extraction.evaluate``.

The command's own module only wires arguments to these calls: :func:`add_arguments`,
:func:`plan_from_args` (reads split files), :func:`restrict` (keeps one side's documents before
anything runs), :func:`annotate` (per-group and per-side scores of a run), :func:`finish`
(sides pooled over the datasets of one split) and :func:`markdown` (the tables).

Side A is the tuning side and side B the held-out side; ``--swap`` exchanges them, so that the
same split file serves both halves of a two-way check.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from extraction.evaluate.aggregate import score_dataset
from extraction.evaluate.groups import GroupingError, brief, check_grouping, group_keys, score_groups, subset
from extraction.evaluate.manifest import Dataset
from extraction.evaluate.scoring import finish_calibration_rows, mean_over_fields, prf
from extraction.evaluate.splits import Split, SplitError, load_split

ROLES = ("tune", "heldout")
ROLE_TITLES = {"tune": "tune", "heldout": "held-out"}


@dataclass
class HeldoutPlan:
    groupings: list[str] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)
    side: str = "both"  # both | tune | heldout
    swap: bool = False

    def side_letter(self, role: str) -> str:
        return {"tune": "B", "heldout": "A"}[role] if self.swap else {"tune": "A", "heldout": "B"}[role]

    def role_of(self, letter: str) -> str:
        return next(role for role in ROLES if self.side_letter(role) == letter)

    def split_for(self, dataset: Dataset) -> Optional[Split]:
        name = source_name(dataset)
        return next((s for s in self.splits if name in s.documents), None)


def source_name(dataset: Dataset) -> str:
    """The dataset's folder name, which split files use (a restricted dataset's name has a suffix)."""
    return dataset.root.name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group-by",
        action="append",
        default=[],
        metavar="GROUPING",
        help="also score each group on its own: layout, source, station, prefix, shop or field:KEY (repeatable)",
    )
    parser.add_argument("--split", action="append", default=[], type=Path, metavar="FILE", help="a split file (eval/splits/*.json): report its tune and held-out sides and the gap (repeatable)")
    parser.add_argument("--side", choices=("both", "tune", "heldout"), default="both", help="with --split: run only this side's documents (default both)")
    parser.add_argument("--swap", action="store_true", help="with --split: tune on side B, hold out side A")


def plan_from_args(args: argparse.Namespace) -> HeldoutPlan:
    """Check the grouping names and read the split files; raises GroupingError or SplitError."""
    for name in args.group_by:
        check_grouping(name)
    if (args.side != "both" or args.swap) and not args.split:
        raise SplitError("--side and --swap need --split FILE")
    return HeldoutPlan(groupings=list(args.group_by), splits=[load_split(p) for p in args.split], side=args.side, swap=args.swap)


def check_covered(datasets: list[Dataset], plan: HeldoutPlan) -> None:
    """A split that names a dataset must place every one of its documents."""
    for dataset in datasets:
        split = plan.split_for(dataset)
        if split is None:
            continue
        missing = [e.id for e in dataset.entries if split.side_of(source_name(dataset), e.id) is None]
        if missing:
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            raise SplitError(f"split {split.path} does not place {len(missing)} document(s) of {dataset.name} ({shown}); remake it with python -m extraction.evaluate.splits make")


def restrict(datasets: list[Dataset], plan: HeldoutPlan) -> list[Dataset]:
    """With ``--side tune|heldout``: each split dataset reduced to that side, named ``NAME side X``."""
    check_covered(datasets, plan)
    if plan.side == "both":
        return datasets
    letter = plan.side_letter(plan.side)
    out = []
    for dataset in datasets:
        split = plan.split_for(dataset)
        if split is None:
            out.append(dataset)
            continue
        ids = {e.id for e in dataset.entries if split.side_of(source_name(dataset), e.id) == letter}
        if not ids:
            raise SplitError(f"side {letter} of {split.path} holds no document of {dataset.name}")
        out.append(subset(dataset, ids, name=f"{dataset.name} side {letter}"))
    return out


def annotate(run: dict[str, Any], dataset: Dataset, records: list[dict[str, Any]], plan: HeldoutPlan) -> None:
    """Add ``groups`` (one table per grouping) and ``sides`` (tune / held-out scores and gap) to a run."""
    split = plan.split_for(dataset)
    if plan.groupings:
        run["groups"] = {}
        for by in plan.groupings:
            keys = group_keys(dataset.entries, by)
            scored = score_groups(dataset, records, keys)
            if split is not None:
                for group, stats in scored.items():
                    letters = {split.side_of(source_name(dataset), e.id) for e in dataset.entries if keys.get(e.id) == group}
                    roles = {plan.role_of(x) for x in letters if x}
                    stats["side"] = "/".join(r for r in ROLES if r in roles)
            run["groups"][by] = scored
    if split is None:
        return
    sides: dict[str, Any] = {}
    for role in ROLES:
        letter = plan.side_letter(role)
        ids = {e.id for e in dataset.entries if split.side_of(source_name(dataset), e.id) == letter}
        if not ids:
            continue
        summary, _ = score_dataset(subset(dataset, ids), [r for r in records if r["id"] in ids], 0.0)
        groups = sorted({split.group_of(source_name(dataset), i) or "" for i in ids})
        sides[role] = {**brief(summary), "side": letter, "groups": len(groups), "group_names": groups}
    run["split"] = {"name": split.name, "path": str(split.path), "grouping": split.grouping, "sides": sides, "gap": gap(sides)}


def gap(sides: dict[str, Any]) -> Optional[dict[str, Optional[float]]]:
    """Per field (and the mean): tune F1 minus held-out F1; None without both sides."""
    if not all(role in sides for role in ROLES):
        return None
    tune, held = sides["tune"], sides["heldout"]
    out: dict[str, Optional[float]] = {}
    for name in dict.fromkeys([*tune["fields"], *held["fields"]]):
        a, b = tune["fields"].get(name, {}).get("f1"), held["fields"].get(name, {}).get("f1")
        out[name] = a - b if a is not None and b is not None else None
    a, b = tune["mean"].get("f1"), held["mean"].get("f1")
    out["mean"] = a - b if a is not None and b is not None else None
    return out


# ---------------------------------------------------------------------- pooling over datasets


def pool(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Several datasets' side scores as one: counts summed per field, P/R/F1 recomputed."""
    fields: dict[str, dict[str, Any]] = {}
    sims: dict[str, list[tuple[float, int]]] = {}
    for summary in summaries:
        for name, stats in summary["fields"].items():
            into = fields.setdefault(name, {"correct": 0, "wrong": 0, "missing": 0, "spurious": 0})
            for key in ("correct", "wrong", "missing", "spurious", "expected_rows", "predicted_rows"):
                if key in stats:
                    into[key] = into.get(key, 0) + stats[key]
            if stats.get("similarity") is not None:
                sims.setdefault(name, []).append((stats["similarity"], stats["correct"] + stats["wrong"] + stats["missing"]))
    for name, stats in fields.items():
        if "expected_rows" in stats:
            stats.update(prf(stats["correct"], stats["predicted_rows"], stats["expected_rows"]))
        else:
            stats.update(prf(stats["correct"], stats["correct"] + stats["wrong"] + stats["spurious"], stats["correct"] + stats["wrong"] + stats["missing"]))
        weights = sims.get(name)
        if weights and sum(w for _, w in weights):
            stats["similarity"] = sum(s * w for s, w in weights) / sum(w for _, w in weights)
    return {
        "documents": sum(s["documents"] for s in summaries),
        "failed": sum(s["failed"] for s in summaries),
        "groups": len({g for s in summaries for g in s.get("group_names", [])}),
        "group_names": sorted({g for s in summaries for g in s.get("group_names", [])}),
        "fields": fields,
        "mean": mean_over_fields(fields),
        "calibration": pool_calibration([s.get("calibration") or [] for s in summaries]),
    }


def pool_calibration(tables: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Several calibration tables (same buckets) as one: counts summed, accuracy and mean
    confidence recomputed, so a pooled held-out side says how honest its confidence is."""
    merged: dict[str, dict[str, Any]] = {}
    for table in tables:
        for row in table:
            into = merged.setdefault(row["bucket"], {"bucket": row["bucket"], "count": 0, "correct": 0, "_conf": 0.0})
            into["count"] += row["count"]
            into["correct"] += row["correct"]
            into["_conf"] += (row.get("mean_confidence") or 0.0) * row["count"]
    return finish_calibration_rows(list(merged.values()))


def finish(report: dict[str, Any], plan: HeldoutPlan) -> None:
    """Pool each split's sides over the runs it covers (e.g. sroie-train-ocr + sroie-dev)."""
    by_split: dict[str, list[str]] = {}
    for key, run in report["runs"].items():
        if "split" in run:
            by_split.setdefault(run["split"]["name"], []).append(key)
    report.setdefault("splits", {})
    for name, keys in by_split.items():
        if len(keys) < 2:
            continue
        sides = {}
        for role in ROLES:
            parts = [report["runs"][k]["split"]["sides"][role] for k in keys if role in report["runs"][k]["split"]["sides"]]
            if parts:
                sides[role] = pool(parts)
                sides[role]["side"] = plan.side_letter(role)
        report["splits"][name] = {"runs": keys, "sides": sides, "gap": gap(sides)}


# ---------------------------------------------------------------------- tables


def _num(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.3f}"


def _signed(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:+.3f}"


def _sides_table(title: str, split: dict[str, Any]) -> str:
    sides = split["sides"]
    roles = [r for r in ROLES if r in sides]
    lines = [f"### {title}\n"]
    lines.append(
        "; ".join(f"{ROLE_TITLES[r]} = side {sides[r]['side']} ({sides[r]['documents']} documents, {sides[r]['groups']} groups)" for r in roles) + "\n"
    )
    head = "| field | " + " | ".join(f"{ROLE_TITLES[r]} F1" for r in roles) + (" | gap (tune − held-out) |" if split.get("gap") else " |")
    lines.append(head)
    lines.append("|---|" + "---:|" * (len(roles) + (1 if split.get("gap") else 0)))
    names = list(dict.fromkeys(n for r in roles for n in sides[r]["fields"]))
    for name in [*names, "mean"]:
        cells = [_num((sides[r]["mean"] if name == "mean" else sides[r]["fields"].get(name, {})).get("f1")) for r in roles]
        label = "**mean**" if name == "mean" else name
        row = f"| {label} | " + " | ".join(cells) + " |"
        if split.get("gap"):
            row += f" {_signed(split['gap'].get(name))} |"
        lines.append(row)
    calibrated = [r for r in roles if any(row["count"] for row in sides[r].get("calibration") or [])]
    if calibrated:
        lines.append("")
        lines.append("| confidence | " + " | ".join(f"{ROLE_TITLES[r]} predictions | {ROLE_TITLES[r]} accuracy | {ROLE_TITLES[r]} mean confidence" for r in calibrated) + " |")
        lines.append("|---|" + "---:|---:|---:|" * len(calibrated))
        buckets = list(dict.fromkeys(row["bucket"] for r in calibrated for row in sides[r]["calibration"]))
        for bucket in buckets:
            cells = []
            for r in calibrated:
                row = next((x for x in sides[r]["calibration"] if x["bucket"] == bucket), None)
                cells.append("– | – | –" if row is None else f"{row['count']} | {_num(row['accuracy'])} | {_num(row['mean_confidence'])}")
            lines.append(f"| {bucket} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _groups_table(key: str, by: str, groups: dict[str, Any], run: dict[str, Any]) -> str:
    names = list(run["fields"])
    with_side = any("side" in g for g in groups.values())
    head = "| group | " + ("side | " if with_side else "") + "documents | " + " | ".join(names) + " | mean |"
    lines = [f"### {key} by {by}: {len(groups)} groups\n", head, "|---|" + ("---|" if with_side else "") + "---:|" * (len(names) + 2)]
    for group, stats in groups.items():
        cells = [_num(stats["fields"].get(n, {}).get("f1")) for n in names]
        side = f"{'/'.join(ROLE_TITLES.get(r, r) for r in stats.get('side', '').split('/') if r)} | " if with_side else ""
        lines.append(f"| {group} | {side}{stats['documents']} | " + " | ".join(cells) + f" | {_num(stats['mean'].get('f1'))} |")
    pad = "| " if with_side else ""
    lines.append(f"| **all** | {pad}{run['documents']} | " + " | ".join(_num(run["fields"][n].get("f1")) for n in names) + f" | {_num(run['mean'].get('f1'))} |")
    for label, reduce in (("mean over groups", lambda v: sum(v) / len(v)), ("worst group", min), ("spread (best − worst)", lambda v: max(v) - min(v))):
        cells = []
        for n in [*names, "mean"]:
            values = [(g["mean"] if n == "mean" else g["fields"].get(n, {})).get("f1") for g in groups.values()]
            values = [v for v in values if v is not None]
            cells.append(_num(reduce(values)) if values else "–")
        lines.append(f"| *{label}* | {pad}| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown(report: dict[str, Any]) -> str:
    """Per-group tables, per-run side tables and pooled side tables ("" when none was asked for)."""
    parts: list[str] = []
    for key, run in report["runs"].items():
        for by, groups in run.get("groups", {}).items():
            parts.append(_groups_table(key, by, groups, run))
        if "split" in run:
            parts.append(_sides_table(f"{key}: split {run['split']['name']} (by {run['split']['grouping']})", run["split"]))
    for name, split in report.get("splits", {}).items():
        parts.append(_sides_table(f"split {name} pooled over {', '.join(split['runs'])}", split))
    return "\n".join(parts)


__all__ = [
    "GroupingError",
    "HeldoutPlan",
    "SplitError",
    "add_arguments",
    "annotate",
    "finish",
    "markdown",
    "plan_from_args",
    "restrict",
]
