"""``python -m extraction.vocabulary [stats | match TEXT...]``: the vocabulary's size, or what a text matches."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from extraction.vocabulary import load_vocabulary


def stats_table() -> str:
    """Entries per field (rows) and language (columns), with totals, as Markdown."""
    vocabulary = load_vocabulary()
    table = vocabulary.stats()
    langs = vocabulary.languages
    lines = ["| field | " + " | ".join(langs) + " | all |", "|---|" + "---:|" * (len(langs) + 1)]
    for name, counts in table.items():
        lines.append(f"| {name} | " + " | ".join(str(counts[lang]) for lang in langs) + f" | {sum(counts.values())} |")
    totals = [sum(table[name][lang] for name in table) for lang in langs]
    lines.append("| **all** | " + " | ".join(str(t) for t in totals) + f" | {sum(totals)} |")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extraction.vocabulary", description="Show the label vocabulary or what a text matches.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("stats", help="entries per field and language (the default)")
    match = sub.add_parser("match", help="print the labels found in TEXT (use \\n for line breaks)")
    match.add_argument("text", nargs="+")
    match.add_argument("--no-fuzzy", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "match":
        text = " ".join(args.text).replace("\\n", "\n")
        for m in load_vocabulary().match(text, fuzzy=not args.no_fuzzy):
            print(f"{m.start:>4}-{m.end:<4} {m.field:<20} {m.lang} {m.score:.2f} {m.strength:<9} {m.text!r} -> {m.value_text!r}")
        return 0
    print(stats_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
