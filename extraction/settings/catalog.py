"""Every settings class of the worker, the start-up check, and the README configuration table.

The README's "Engines and configuration" table is rendered from the classes (variable name,
default, each field's ``description``) between two marker comments, so documentation and
code cannot drift apart: ``python -m extraction.settings --write`` rewrites it and the test
suite fails while it is stale (``--check``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from pydantic.fields import FieldInfo

from extraction.settings.base import Settings, SettingsError, load_settings
from extraction.settings.concurrency import ConcurrencySettings
from extraction.settings.fetch import BucketSettings, FetchSettings
from extraction.settings.header_model import HeaderModelSettings
from extraction.settings.limits import Limits
from extraction.settings.models import (
    ModelCacheSettings,
    PaddleDetModelSource,
    PaddleRecModelSource,
    PaddleTextlineOriModelSource,
    TiltModelSource,
)
from extraction.settings.paddle import PaddleSettings
from extraction.settings.pageprep import PagePrepSettings
from extraction.settings.rapidocr import RapidOcrSettings
from extraction.settings.ranker import RankerSettings
from extraction.settings.tilt import TiltSettings
from extraction.settings.worker import WorkerSettings

#: In README order. A variable read by two classes (``MAX_DOCUMENT_BYTES``) is listed once,
#: under the first.
ALL_SETTINGS: tuple[type[Settings], ...] = (
    WorkerSettings,
    RapidOcrSettings,
    ConcurrencySettings,
    HeaderModelSettings,
    RankerSettings,
    PagePrepSettings,
    Limits,
    FetchSettings,
    BucketSettings,
    ModelCacheSettings,
    TiltSettings,
    TiltModelSource,
    PaddleSettings,
    PaddleDetModelSource,
    PaddleRecModelSource,
    PaddleTextlineOriModelSource,
)

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN = "<!-- settings table: generated from extraction/settings by `python -m extraction.settings --write`; edit the classes, not the table -->"
END = "<!-- end of the generated settings table -->"


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Read every settings class once, so a misconfigured worker stops at start-up.

    Raises one :class:`SettingsError` naming every bad variable, whichever engine it belongs to.
    """
    problems = []
    for cls in ALL_SETTINGS:
        try:
            load_settings(cls, environ)
        except SettingsError as exc:
            problems.append(str(exc))
    if problems:
        raise SettingsError("; ".join(problems))


@dataclass(frozen=True)
class Row:
    """One line of the configuration table."""

    variable: str
    default: str
    meaning: str


def shown_default(info: FieldInfo) -> str:
    """The default as the table shows it: a field's ``shown_default`` when it is computed elsewhere."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "shown_default" in extra:
        return str(extra["shown_default"])
    value: Any = info.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return f"`{value}`"


def rows(classes: tuple[type[Settings], ...] = ALL_SETTINGS) -> list[Row]:
    """The table rows, one per variable, in class and field order."""
    seen: set[str] = set()
    table = []
    for cls in classes:
        for field, info in cls.model_fields.items():
            variable = cls.env_name(field)
            if variable in seen:
                continue
            seen.add(variable)
            table.append(Row(variable, shown_default(info), (info.description or "").replace("|", "\\|")))
    return table


def markdown_table(classes: tuple[type[Settings], ...] = ALL_SETTINGS) -> str:
    lines = ["| env var | default | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{row.variable}` | {row.default} | {row.meaning} |" for row in rows(classes)]
    return "\n".join(lines) + "\n"


def render_readme(text: str) -> str:
    """``text`` (the README) with the table between the markers replaced by the current one."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README lacks the settings table markers:\n{BEGIN}\n{END}")
    head = text[: start + len(BEGIN)]
    return f"{head}\n{markdown_table()}{text[end:]}"
