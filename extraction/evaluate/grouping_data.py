"""The grouping knowledge (legal-form suffixes, report generators, call-sign stop words) as data.

Kept in ``data/grouping.json`` so that adding a country's legal forms or another report
generator is a data change, not a code change.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("data") / "grouping.json"


@functools.lru_cache(maxsize=1)
def grouping_data() -> dict[str, Any]:
    with DATA_FILE.open("r", encoding="utf-8") as handle:
        return json.load(handle)
