"""``--split FILE --side tune|heldout [--swap]`` for the offline fitting tools.

Why: anything fitted on receipts (the vocabulary, spelling repairs, confidence curves, a
line classifier) flatters every score measured on the same receipts. The fitting tools read
the same split files as ``python -m extraction.evaluate --split`` (``eval/splits/*.json``) and
keep only one side's documents, so a fit on the tune side can be scored on the held-out side
with nothing leaking. Side A is the tune side, side B the held-out side; ``--swap`` exchanges
them, exactly as in the evaluation command. Datasets the split does not name are used whole.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from extraction.evaluate.heldout import HeldoutPlan, restrict
from extraction.evaluate.manifest import Dataset, load_dataset
from extraction.evaluate.splits import SplitError, load_split


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", type=Path, metavar="FILE", help="a split file (eval/splits/*.json): fit on one side only")
    parser.add_argument("--side", choices=("tune", "heldout"), default="tune", help="with --split: the side to fit on (default tune)")
    parser.add_argument("--swap", action="store_true", help="with --split: side B is the tune side, side A held out")


def selected_datasets(folders: list[Path], args: argparse.Namespace) -> list[Dataset]:
    """The datasets of ``folders``, each reduced to the chosen side when a split names it.

    Raises :class:`SplitError` (message says what to do) for a bad split file or a dataset the
    split names only partly.
    """
    datasets = [load_dataset(folder) for folder in folders]
    if getattr(args, "split", None) is None:
        if getattr(args, "swap", False):
            raise SplitError("--swap needs --split FILE")
        return datasets
    plan = HeldoutPlan(splits=[load_split(args.split)], side=args.side, swap=args.swap)
    return restrict(datasets, plan)


def describe(datasets: list[Dataset], args: argparse.Namespace) -> str:
    """What a fit was made on, for the fitted file's header (``sroie-dev side A (tune of sroie-by-shop)``)."""
    names = ", ".join(d.name for d in datasets)
    if getattr(args, "split", None) is None:
        return names
    return f"{names} ({args.side}{' swapped' if args.swap else ''} side of {args.split.stem})"
