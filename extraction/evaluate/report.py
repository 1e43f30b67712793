"""Output: Markdown tables, the JSON report, the error listing, and baseline files.

A run is keyed by dataset and engines (``"sroie-dev [rapidocr + rules]"``), so one baseline
file can hold the CPU and GPU scores, and runs on the dataset's own OCR boxes, side by side;
comparisons only ever pair runs with the same key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Optional

BASELINE_VERSION = 1


def run_key(dataset: str, ocr: str, extractor: str) -> str:
    return f"{dataset} [{ocr} + {extractor}]"


def _num(value: Optional[float], digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _delta(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:+.3f}"


def markdown(report: dict[str, Any]) -> str:
    """All runs of a report as Markdown tables (what the CLI prints on stdout)."""
    parts: list[str] = []
    for key, run in report["runs"].items():
        spd = run.get("seconds_per_document")
        cpu = run.get("cpu_seconds_per_document")
        parts.append(
            f"### {key}\n\n{run['documents']} documents, {run['failed']} failed, "
            f"{_num(spd, 2)} s/document (pipeline; {_num(cpu, 2)} s of CPU), {run['wall_seconds']:.1f} s wall with {report['settings']['workers']} worker(s)"
            + (f"; OCR replayed from cache for {run['ocr_cache_hits']} (latency not the engine's)" if run.get("ocr_cache_hits") else "")
            + "\n"
        )
        rows = ["| field | precision | recall | F1 | similarity | correct | wrong | missing | spurious |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, s in run["fields"].items():
            rows.append(
                f"| {name} | {_num(s['precision'])} | {_num(s['recall'])} | {_num(s['f1'])} | {_num(s.get('similarity'))} "
                f"| {s['correct']} | {s['wrong']} | {s['missing']} | {s['spurious']} |"
            )
        mean = run["mean"]
        rows.append(f"| **mean** | {_num(mean['precision'])} | {_num(mean['recall'])} | **{_num(mean['f1'])}** | {_num(mean.get('similarity'))} | | | | |")
        parts.append("\n".join(rows) + "\n")
        if run["latency_ms"]:
            rows = ["| latency (ms) | p50 | p95 | mean |", "|---|---:|---:|---:|"]
            for stage, values in run["latency_ms"].items():
                rows.append(f"| {stage} | {values['p50']:.1f} | {values['p95']:.1f} | {values['mean']:.1f} |")
            parts.append("\n".join(rows) + "\n")
        if any(row["count"] for row in run["calibration"]):
            rows = ["| confidence | predictions | accuracy | mean confidence |", "|---|---:|---:|---:|"]
            for row in run["calibration"]:
                rows.append(f"| {row['bucket']} | {row['count']} | {_num(row['accuracy'])} | {_num(row['mean_confidence'])} |")
            parts.append("\n".join(rows) + "\n")
        if run["failures"]:
            shown = ", ".join(f"{f['id']} ({f.get('code', '?')})" for f in run["failures"][:10])
            parts.append(f"Failed documents: {shown}{' …' if len(run['failures']) > 10 else ''}\n")
    return "\n".join(parts)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def write_errors(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


# ---------------------------------------------------------------------- baselines


def baseline_entry(run: dict[str, Any]) -> dict[str, Any]:
    """The part of a run worth committing: scores per field and the mean, rounded."""

    def trim(stats: dict[str, Any]) -> dict[str, Any]:
        return {k: round(v, 4) for k, v in stats.items() if k in ("precision", "recall", "f1", "similarity") and v is not None}

    return {
        "documents": run["documents"],
        "mean": trim(run["mean"]),
        "fields": {name: trim(stats) for name, stats in run["fields"].items()},
        # replayed OCR says nothing about speed
        "seconds_per_document": None if run.get("ocr_cache_hits") else run.get("seconds_per_document"),
    }


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"baseline {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), dict):
        raise SystemExit(f'baseline {path} has no "runs" object; write one with --write-baseline')
    return data


def merge_baseline(path: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Add (or replace) this report's runs in the baseline file, keeping other runs as they are."""
    existing: dict[str, Any] = load_baseline(path) if Path(path).exists() else {"version": BASELINE_VERSION, "runs": {}}
    existing["version"] = BASELINE_VERSION
    for key, run in report["runs"].items():
        existing["runs"][key] = baseline_entry(run)
    existing["runs"] = dict(sorted(existing["runs"].items()))
    write_json(Path(path), existing)
    return existing


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """F1 change per field for runs present in both; returns Markdown and the comparable rows."""
    parts: list[str] = []
    changes: list[dict[str, Any]] = []
    for key, run in report["runs"].items():
        base = baseline["runs"].get(key)
        if base is None:
            parts.append(f"### {key}: not in the baseline\n")
            continue
        note = ""
        if base.get("documents") != run["documents"]:
            note = f" (baseline had {base.get('documents')} documents, this run {run['documents']}: not like for like)"
        rows = [f"### {key} vs baseline{note}\n", "| field | baseline F1 | F1 | change |", "|---|---:|---:|---:|"]
        names = list(dict.fromkeys([*run["fields"], *base.get("fields", {})]))
        for name in [*names, "mean"]:
            now = (run["mean"] if name == "mean" else run["fields"].get(name, {})).get("f1")
            before = (base.get("mean", {}) if name == "mean" else base.get("fields", {}).get(name, {})).get("f1")
            now = round(now, 4) if now is not None else None  # baselines are stored rounded
            change = now - before if now is not None and before is not None else None
            label = "**mean**" if name == "mean" else name
            rows.append(f"| {label} | {_num(before)} | {_num(now)} | {_delta(change)} |")
            changes.append({"run": key, "field": name, "baseline": before, "current": now, "change": change})
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts), changes


def regressions(changes: list[dict[str, Any]], tolerance: float) -> list[dict[str, Any]]:
    """Fields (and means) whose F1 fell more than ``tolerance`` below the baseline, or vanished."""
    found = []
    for change in changes:
        if change["baseline"] is None:
            continue
        if change["current"] is None or change["current"] < change["baseline"] - tolerance:
            found.append(change)
    return found
