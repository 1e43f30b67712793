"""Which receipts come from the same shop, from their vendor-name labels.

A split by shop keeps every receipt of one shop on one side, so that nothing learned from a
shop's wording, layout or printer can flatter the other side. Labels spell one shop in many
ways (``MR. D.I.Y. (M) SDN BHD``, ``MR.D.I.Y(M)SDN BHD``, ``MR D.I.Y. (JOHOR) SDN BHD``; typos
such as ``RSTORAN`` for ``RESTORAN``), so names are normalised (upper case, accents folded,
bracketed branch names, apostrophes and other punctuation dropped, initials joined, legal-form suffixes removed)
and then names that still differ only by a slip, or where one name is contained in the other,
are joined into one group.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable, Optional

from rapidfuzz import fuzz

from extraction.evaluate.grouping_data import grouping_data

#: Two normalised names this similar (rapidfuzz ratio, 0-100, spaces ignored) are one shop.
SAME_SHOP_RATIO = 90.0
#: A name contained word for word in another is the same shop when it is at least this long.
CONTAINED_MIN_CHARS = 12

_BRACKETS = re.compile(r"\([^)]*\)?|\[[^\]]*\]?")
_DROPPED = re.compile(r"['’`]")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def _join_initials(tokens: list[str]) -> list[str]:
    """``D I Y`` -> ``DIY``, ``S B`` -> ``SB``: runs of single letters were one abbreviation."""
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(token)
    if run:
        out.append("".join(run))
    return out


def _suffixes() -> list[list[str]]:
    forms = {tuple(s.split()) for s in grouping_data()["company_suffixes"]}
    return sorted((list(f) for f in forms), key=len, reverse=True)


def normalize_shop(name: Optional[str]) -> str:
    """A shop's comparable name: ``"MR. D.I.Y. (M) SDN BHD"`` -> ``"MR DIY"``; ``""`` when nothing is left."""
    if not name:
        return ""
    text = _BRACKETS.sub(" ", _fold(name))
    text = _DROPPED.sub("", text)
    tokens = _join_initials([t for t in _NOT_ALNUM.split(text) if t])
    suffixes = _suffixes()
    whole = list(tokens)
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for suffix in suffixes:
            if len(suffix) < len(tokens) and tokens[-len(suffix) :] == suffix:
                tokens = tokens[: -len(suffix)]
                stripped = True
                break
    if any(tokens == suffix for suffix in suffixes):
        tokens = whole  # the name is nothing but legal forms: keep it whole
    return " ".join(tokens)


def _same_shop(a: str, b: str) -> bool:
    if fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")) >= SAME_SHOP_RATIO:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short.replace(" ", "")) < CONTAINED_MIN_CHARS or len(short.split()) < 2:
        return False
    return set(short.split()) <= set(long_.split())


def shop_groups(names: Iterable[Optional[str]]) -> dict[str, str]:
    """Map every vendor name to its shop's group name (the group's most common normalised form).

    Names that normalise to nothing map to ``""``. Deterministic: the result depends only on the
    set of names and how often each occurs.
    """
    counts = Counter(n for n in names if n)
    normal = {name: normalize_shop(name) for name in counts}
    forms = sorted({f for f in normal.values() if f})
    parent = {f: f for f in forms}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, a in enumerate(forms):
        for b in forms[i + 1 :]:
            if find(a) != find(b) and _same_shop(a, b):
                parent[find(a)] = find(b)
    weight: Counter[str] = Counter()
    for name, count in counts.items():
        if normal[name]:
            weight[normal[name]] += count
    members: dict[str, list[str]] = {}
    for form in forms:
        members.setdefault(find(form), []).append(form)
    label = {root: min(group, key=lambda f: (-weight[f], len(f), f)) for root, group in members.items()}
    return {name: (label[find(form)] if form else "") for name, form in normal.items()}
