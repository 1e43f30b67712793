"""Times of day ("14:05", "2:05 PM", "14h05", "14:05:33") -> "HH:MM"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_TIME = re.compile(
    r"(?<![\d:.,/])(?P<h>[01]?\d|2[0-3])\s?(?P<sep>[:h.])\s?(?P<m>[0-5]\d)(?:\s?:\s?(?P<s>[0-5]\d))?(?![\d.,/])"
    r"(?:\s*(?P<ampm>[ap]\.?\s?m\.?)(?![a-z]))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedTime:
    value: str  # "HH:MM"
    text: str
    start: int
    end: int


def find_times(text: str) -> list[ParsedTime]:
    found: list[ParsedTime] = []
    for m in _TIME.finditer(text):
        hour, minute = int(m.group("h")), int(m.group("m"))
        ampm = (m.group("ampm") or "").lower().replace(".", "").replace(" ", "")
        if ampm:
            if hour > 12 or hour == 0:
                continue
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        sep = m.group("sep").lower()
        if sep == "." and not ampm:
            continue  # "12.30" is far more often an amount
        found.append(ParsedTime(f"{hour:02d}:{minute:02d}", m.group(0), m.start(), m.end()))
    return found


def parse_time(text: str) -> Optional[ParsedTime]:
    times = find_times(text or "")
    return times[0] if times else None
