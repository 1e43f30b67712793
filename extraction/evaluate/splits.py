"""Held-out splits: every document on side A or B, no group of documents on both.

Tuning on some documents and reporting others only means something when the two sides share
nothing the tuning could have learned: not a layout, not a source system, not a shop. A split
file (JSON, committed under ``eval/splits/``) records, for every document of its datasets, its
group and its side; it is made once by this command, deterministically from the manifests and a
seed, and then read by ``python -m extraction.evaluate --split FILE``::

    python -m extraction.evaluate.splits make ../shared/datasets/invoices-odoo --by layout --order sorted --out eval/splits/invoices-odoo-by-layout.json
    python -m extraction.evaluate.splits make ../shared/datasets/vrdu-adbuy-dev --by source --seed 1 --out eval/splits/vrdu-adbuy-dev-by-source.json
    python -m extraction.evaluate.splits make ../shared/datasets/sroie-train-ocr ../shared/datasets/sroie-dev --by shop --seed 1 --out eval/splits/sroie-by-shop.json
    python -m extraction.evaluate.splits show eval/splits/sroie-by-shop.json
    python -m extraction.evaluate.splits fold eval/splits/vrdu-adbuy-dev-by-source.json --side B --seed 1 --out eval/splits/vrdu-adbuy-dev-by-source-fold1.json eval/splits/vrdu-adbuy-dev-by-source-fold2.json

``fold`` cross-fits within one side: when a side holds a single group (one ordering system),
a model tuned there learns nothing about the other systems, so that side's groups are divided
into two halves H1/H2 and two files are written, "tune on the other side + H1, hold out H2"
and "tune on the other side + H2, hold out H1". Each held-out group stays unseen in its fold,
and the two held-out halves together cover the whole side once (pooled held-out).

Groups come from :mod:`extraction.evaluate.groups`, with one difference for ``source``: a
split joins documents that share a report generator *or* a station (connected components),
since a station's documents are laid out by its traffic system whichever driver printed them.
Groups of several datasets in one file are joint (a shop in ``sroie-dev`` and in
``sroie-train-ocr`` is one group). Sides: ``--order balanced`` (default) places groups, largest
first (ties in seeded random order), on the side that keeps every dataset's two halves closest
in size; ``--order sorted`` cuts the groups, in natural key order, into a first and a second
half (layouts ``1 2 3 | 4 5 6``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from extraction.evaluate.groups import GroupingError, natural_key, check_grouping, group_keys
from extraction.evaluate.manifest import Dataset, ManifestError, load_dataset
from extraction.evaluate.pdfsource import pdf_source
from extraction.evaluate.shopnames import shop_groups

SPLIT_VERSION = 1
SIDES = ("A", "B")
DocKey = tuple[str, str]  # (dataset name, document id)


class SplitError(ValueError):
    """A split file that cannot be used, or documents it does not cover; the message says what to do."""


@dataclass
class Split:
    name: str
    path: Path
    grouping: str
    seed: Optional[int]
    documents: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # dataset -> id -> (side, group)

    @property
    def datasets(self) -> list[str]:
        return list(self.documents)

    def side_of(self, dataset: str, doc_id: str) -> Optional[str]:
        found = self.documents.get(dataset, {}).get(doc_id)
        return found[0] if found else None

    def group_of(self, dataset: str, doc_id: str) -> Optional[str]:
        found = self.documents.get(dataset, {}).get(doc_id)
        return found[1] if found else None


# ---------------------------------------------------------------------- grouping for a split


def split_groups(datasets: list[Dataset], by: str) -> dict[DocKey, str]:
    """(dataset, id) -> group, joint over all datasets (see the module docstring)."""
    check_grouping(by)
    if by == "shop":
        names = shop_groups(e.fields.get("vendor_name") for d in datasets for e in d.entries)
        return {(d.name, e.id): names.get(e.fields.get("vendor_name") or "", "") or f"(no vendor) {d.name}/{e.id}" for d in datasets for e in d.entries}
    if by == "source":
        return _source_components(datasets)
    return {(d.name, doc_id): key for d in datasets for doc_id, key in group_keys(d.entries, by).items()}


def _source_components(datasets: list[Dataset]) -> dict[DocKey, str]:
    """Documents joined when they share a report generator or a station (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links: dict[DocKey, list[str]] = {}
    for d in datasets:
        for e in d.entries:
            keys = []
            if e.meta.get("source"):
                keys.append(f"source {e.meta['source']}")
            elif e.file is not None:
                info = pdf_source(e.file)
                if info.generator:
                    keys.append(f"generator {info.generator}")
                if info.station:
                    keys.append(f"station {info.station}")
            if not keys:
                keys.append(f"document {d.name}/{e.id}")  # nothing known: a group of its own
            links[(d.name, e.id)] = keys
            for key in keys[1:]:
                a, b = find(keys[0]), find(key)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for keys in links.values():
        for key in keys:
            members.setdefault(find(key), []).append(key)
    # name a component by its most frequent key (a generator outweighs a station)
    names = {root: min(set(keys), key=lambda k: (-keys.count(k), not k.startswith("generator"), k)) for root, keys in members.items()}
    return {doc: names[find(keys[0])] for doc, keys in links.items()}


# ---------------------------------------------------------------------- assigning sides


def assign_sides(groups: dict[DocKey, str], *, order: str = "balanced", seed: int = 1) -> dict[str, str]:
    """Group -> side. Deterministic for the same groups, order and seed."""
    sizes: dict[str, Counter[str]] = {}
    for (dataset, _), group in groups.items():
        sizes.setdefault(group, Counter())[dataset] += 1
    if order == "sorted":
        return _contiguous(sizes)
    if order != "balanced":
        raise SplitError(f"unknown order {order!r}; use balanced or sorted")
    rng = random.Random(seed)
    tiebreak = {g: rng.random() for g in sorted(sizes)}
    ranked = sorted(sizes, key=lambda g: (-sum(sizes[g].values()), tiebreak[g]))
    filled = {side: Counter[str]() for side in SIDES}
    datasets = sorted({d for c in sizes.values() for d in c})
    sides: dict[str, str] = {}
    for group in ranked:

        def imbalance(side: str) -> int:
            after = {s: filled[s] + (sizes[group] if s == side else Counter()) for s in SIDES}
            return sum(abs(after["A"][d] - after["B"][d]) for d in datasets)

        costs = {side: imbalance(side) for side in SIDES}
        best = min(costs.values())
        choices = [side for side in SIDES if costs[side] == best]
        side = choices[0] if len(choices) == 1 else rng.choice(choices)
        sides[group] = side
        filled[side] += sizes[group]
    return sides


def _contiguous(sizes: dict[str, Counter[str]]) -> dict[str, str]:
    total = sum(sum(c.values()) for c in sizes.values())
    taken = 0
    sides: dict[str, str] = {}
    switched = False
    for group in sorted(sizes, key=natural_key):
        size = sum(sizes[group].values())
        if not switched and (taken == 0 or abs(taken + size - total / 2) < abs(taken - total / 2)):
            sides[group] = "A"
            taken += size
        else:
            switched = True
            sides[group] = "B"
    return sides


# ---------------------------------------------------------------------- files


def make_split(datasets: list[Dataset], by: str, *, order: str = "balanced", seed: int = 1, name: Optional[str] = None, command: str = "") -> dict[str, Any]:
    """The split file's content for these datasets (see :func:`write_split`)."""
    groups = split_groups(datasets, by)
    sides = assign_sides(groups, order=order, seed=seed)
    documents: dict[str, dict[str, list[str]]] = {}
    for d in datasets:
        documents[d.name] = {e.id: [sides[groups[(d.name, e.id)]], groups[(d.name, e.id)]] for e in d.entries}
    summary = {side: {"groups": sum(1 for s in sides.values() if s == side), "documents": {d.name: sum(1 for v in documents[d.name].values() if v[0] == side) for d in datasets}} for side in SIDES}
    return {
        "version": SPLIT_VERSION,
        "name": name or "-".join(d.name for d in datasets) + f"-by-{by.replace(':', '-')}",
        "grouping": by,
        "order": order,
        "seed": seed if order == "balanced" else None,
        "command": command,
        "sides": summary,
        "groups": {g: sides[g] for g in sorted(sides, key=natural_key)},
        "documents": documents,
    }


def write_split(path: Path, content: dict[str, Any]) -> None:
    """JSON with one document per line, so that a diff of a split file is readable."""
    head = {k: v for k, v in content.items() if k != "documents"}
    text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]  # reopen the object
    parts = []
    for dataset, docs in content["documents"].items():
        rows = ",\n".join(f"      {json.dumps(doc_id, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}" for doc_id, value in docs.items())
        parts.append(f"    {json.dumps(dataset)}: {{\n{rows}\n    }}")
    text += ',\n  "documents": {\n' + ",\n".join(parts) + "\n  }\n}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def load_split(path: Path) -> Split:
    """Read and check a split file; raises :class:`SplitError` naming the file and the problem."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SplitError(f"split file {path} does not exist; make one with python -m extraction.evaluate.splits make") from None
    except json.JSONDecodeError as exc:
        raise SplitError(f"split file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != SPLIT_VERSION or not isinstance(data.get("documents"), dict):
        raise SplitError(f"split file {path}: expected version {SPLIT_VERSION} with a \"documents\" object; remake it with python -m extraction.evaluate.splits make")
    split = Split(name=str(data.get("name") or Path(path).stem), path=Path(path), grouping=str(data.get("grouping", "?")), seed=data.get("seed"))
    group_side: dict[str, str] = {}
    for dataset, docs in data["documents"].items():
        if not isinstance(docs, dict):
            raise SplitError(f"split file {path}: documents of {dataset!r} must be an object of id -> [side, group]")
        table: dict[str, tuple[str, str]] = {}
        for doc_id, value in docs.items():
            if not (isinstance(value, list) and len(value) == 2 and value[0] in SIDES):
                raise SplitError(f"split file {path}: {dataset}/{doc_id}: expected [\"A\" or \"B\", group], got {value!r}")
            side, group = value[0], str(value[1])
            if group_side.setdefault(group, side) != side:
                raise SplitError(f"split file {path}: group {group!r} is on both sides; a group must sit on one side only")
            table[doc_id] = (side, group)
        split.documents[dataset] = table
    return split


def fold_split(content: dict[str, Any], side: str, *, seed: int = 1, command: str = "") -> list[dict[str, Any]]:
    """Two split files that cross-fit ``side``'s groups (see the module docstring): in fold k,
    side A (tune) holds the other side's documents and half H(3-k) of ``side``'s groups, side B
    (held out) holds half Hk. Halves are balanced by document count, deterministic for a seed."""
    if side not in SIDES:
        raise SplitError(f"unknown side {side!r}; use A or B")
    documents: dict[str, dict[str, list[str]]] = content["documents"]
    groups = {(dataset, doc_id): value[1] for dataset, docs in documents.items() for doc_id, value in docs.items() if value[0] == side}
    if len(set(groups.values())) < 2:
        raise SplitError(f"side {side} holds fewer than two groups; there is nothing to cross-fit")
    halves = assign_sides(groups, order="balanced", seed=seed)  # group -> "A" (first half) or "B"
    folds = []
    for number, held in enumerate(SIDES, start=1):
        docs_out: dict[str, dict[str, list[str]]] = {}
        for dataset, docs in documents.items():
            docs_out[dataset] = {}
            for doc_id, (doc_side, group) in docs.items():
                out_side = "A" if doc_side != side else ("B" if halves[group] == held else "A")
                docs_out[dataset][doc_id] = [out_side, group]
        sides = {g: s for d in docs_out.values() for s, g in d.values()}
        summary = {s: {"groups": sum(1 for v in sides.values() if v == s), "documents": {d: sum(1 for v in docs_out[d].values() if v[0] == s) for d in docs_out}} for s in SIDES}
        folds.append({
            "version": SPLIT_VERSION,
            "name": f"{content.get('name', 'split')}-fold{number}",
            "grouping": content.get("grouping", "?"),
            "order": "fold",
            "seed": seed,
            "command": command,
            "derived_from": {"split": content.get("name"), "side": side, "fold": number, "of": 2},
            "sides": summary,
            "groups": {g: sides[g] for g in sorted(sides, key=natural_key)},
            "documents": docs_out,
        })
    return folds


# ---------------------------------------------------------------------- command line


def _show(split: Split) -> str:
    rows = ["| dataset | side A documents | side B documents | groups A | groups B |", "|---|---:|---:|---:|---:|"]
    for dataset, docs in split.documents.items():
        counts = Counter(side for side, _ in docs.values())
        groups = {side: len({g for s, g in docs.values() if s == side}) for side in SIDES}
        rows.append(f"| {dataset} | {counts['A']} | {counts['B']} | {groups['A']} | {groups['B']} |")
    return f"### split {split.name} (by {split.grouping}, seed {split.seed})\n\n" + "\n".join(rows) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extraction.evaluate.splits", description="Make or show held-out split files.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="assign every document of the datasets to side A or B, by group")
    make.add_argument("datasets", nargs="+", type=Path, metavar="DATASET_DIR")
    make.add_argument("--by", required=True, help="layout, source, station, prefix, shop or field:KEY")
    make.add_argument("--order", choices=("balanced", "sorted"), default="balanced")
    make.add_argument("--seed", type=int, default=1)
    make.add_argument("--name", help="the split's name (default: datasets and grouping)")
    make.add_argument("--out", type=Path, required=True, help="the split file to write (JSON)")
    show = sub.add_parser("show", help="print how many documents and groups each side holds")
    show.add_argument("split", type=Path)
    fold = sub.add_parser("fold", help="two files cross-fitting one side's groups (tune on the other side + one half, hold out the other half)")
    fold.add_argument("split", type=Path)
    fold.add_argument("--side", choices=SIDES, default="B", help="the side whose groups are divided (default B)")
    fold.add_argument("--seed", type=int, default=1)
    fold.add_argument("--out", type=Path, nargs=2, required=True, metavar=("FOLD1", "FOLD2"))
    args = parser.parse_args(argv)
    try:
        if args.command == "show":
            print(_show(load_split(args.split)))
            return 0
        if args.command == "fold":
            load_split(args.split)  # checked before it is divided
            argv_text = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
            content = json.loads(args.split.read_text(encoding="utf-8"))
            for path, folded in zip(args.out, fold_split(content, args.side, seed=args.seed, command=f"python -m extraction.evaluate.splits {argv_text}")):
                write_split(path, folded)
                print(_show(load_split(path)))
            return 0
        datasets = [load_dataset(path) for path in args.datasets]
        names = [d.name for d in datasets]
        if len(set(names)) != len(names):
            raise SplitError(f"two datasets share a folder name ({', '.join(names)}); splits name datasets by folder")
        argv_text = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
        content = make_split(datasets, args.by, order=args.order, seed=args.seed, name=args.name, command=f"python -m extraction.evaluate.splits {argv_text}")
        write_split(args.out, content)
        print(_show(load_split(args.out)))
    except (ManifestError, SplitError, GroupingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
