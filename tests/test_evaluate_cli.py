"""The evaluation command end to end: runner, scoring, reports and baselines.

A fake pipeline of the real one's shape answers from a table, so the numbers the harness
reports can be checked exactly; the last test runs the real pipeline on the repo's samples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest
from PIL import Image

from extraction.evaluate.cli import main
from extraction.layout import DocumentText
from extraction.schema import DocumentResult, ErrorInfo, ExtractedField, LineItem, OcrLine, OcrPage
from tests.support.paths import ROOT, SAMPLES

#: doc id -> field -> (value, confidence); read by FakePipeline (also in forked workers).
ANSWERS: dict[str, dict[str, tuple[str, float]]] = {}
SEEN_TEXT: list[DocumentText] = []


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


class FakePipeline:
    """Same entry points as extraction.pipeline.Pipeline; answers come from ANSWERS."""

    ocr = _Named("fake-ocr")
    extractor = _Named("fake-extractor")

    def describe(self) -> dict[str, Any]:
        return {"ocr": {"name": "fake-ocr"}, "extractor": {"name": "fake-extractor"}}

    def _result(self, doc_id: str, ocr: Optional[list[OcrPage]] = None) -> DocumentResult:
        if doc_id == "broken":
            return DocumentResult(id=doc_id, status="error", error=ErrorInfo(code="corrupt_document", message="bad bytes"), timings_ms={"load": 1.0, "total": 1.0})
        answers = ANSWERS.get(doc_id, {})
        fields = {
            name: ExtractedField(value=value, text=f"printed {value}", confidence=conf, page=1, bbox=[0, 10, 50, 20])
            for name, (value, conf) in answers.items()
            if name != "line_items"
        }
        items = [LineItem(description="Widget", quantity="2", amount="10.00", confidence=0.9)] if "line_items" in answers else []
        timings = {"load": 2.0, "ocr": 10.0, "extract": 3.0, "rules": 0.5, "total": 15.5}
        return DocumentResult(id=doc_id, status="ok", fields=fields, line_items=items, timings_ms=timings, ocr=ocr)

    def extract_bytes(self, data: bytes, doc_id: str = "doc", fields: Any = None, options: Any = None) -> DocumentResult:
        assert data[:4] == b"\x89PNG"
        ocr = None
        if options is not None and options.return_ocr:
            ocr = [
                OcrPage(
                    number=1,
                    width=100,
                    height=100,
                    source="ocr",
                    lines=[
                        OcrLine(text="ACME STORES", bbox=[0, 0, 50, 8], confidence=1, words=[]),
                        OcrLine(text="TOTAL 9.00", bbox=[0, 12, 50, 19], confidence=1, words=[]),
                        OcrLine(text="THANK YOU", bbox=[0, 80, 50, 90], confidence=1, words=[]),
                    ],
                )
            ]
        return self._result(doc_id, ocr)

    def extract_text(self, doc_id: str, text: DocumentText, fields: Any = None, date_order: str = "auto") -> DocumentResult:
        SEEN_TEXT.append(text)
        return self._result(doc_id)


def make_dataset(root: Path, with_boxes: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rows = [
        {"id": "a", "file": "a.png", "fields": {"vendor_name": "ACME STORES", "date": "2024-01-02", "total": "9.00"}},
        {"id": "b", "file": "b.png", "fields": {"vendor_name": "BOLT LTD", "date": "2024-02-03", "total": "5.00"}},
        {"id": "c", "file": "c.png", "fields": {"vendor_name": "CORA", "total": "7.00", "line_items": [{"description": "Widget", "quantity": "2", "amount": "10.00"}]}},
        {"id": "broken", "file": "d.png", "fields": {"total": "1.00"}},
    ]
    for row in rows:
        Image.new("RGB", (64, 48), "white").save(root / row["file"])
        if with_boxes:
            (root / f"{row['id']}.txt").write_text("1,2,61,2,61,12,1,12,ACME, STORES\n1,20,40,20,40,30,1,30,TOTAL 9.00\n", encoding="utf-8")
            row["ocr_boxes"] = f"{row['id']}.txt"
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


GOOD = {
    "a": {"vendor_name": ("Acme Stores.", 0.97), "date": ("02/01/2024", 0.9), "total": ("RM 9.00", 0.99)},
    "b": {"vendor_name": ("BOLT LTD", 0.6), "total": ("50.00", 0.96), "date": ("2024-02-03", 0.99)},
    "c": {"vendor_name": ("CORA", 0.99), "date": ("2024-05-05", 0.3), "total": ("7.00", 0.99), "line_items": ("", 0.0)},
}


@pytest.fixture(autouse=True)
def answers() -> dict:
    ANSWERS.clear()
    ANSWERS.update({k: dict(v) for k, v in GOOD.items()})  # forked workers see this copy
    SEEN_TEXT.clear()
    return ANSWERS


@pytest.mark.parametrize("workers", ["1", "2"])
def test_scores_counts_outputs_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str) -> None:
    data = make_dataset(tmp_path / "tiny")
    out, errors = tmp_path / "report.json", tmp_path / "errors.jsonl"
    code = main([str(data), "--workers", workers, "--out", str(out), "--errors", str(errors), "--no-progress"], factory=FakePipeline)
    assert code == 0

    report = json.loads(out.read_text())
    run = report["runs"]["tiny [fake-ocr + fake-extractor]"]
    assert (run["documents"], run["failed"]) == (4, 1)
    assert run["failures"][0]["code"] == "corrupt_document"
    fields = run["fields"]
    assert list(fields) == ["vendor_name", "date", "total", "line_items"]
    assert {k: fields["total"][k] for k in ("correct", "wrong", "missing", "spurious")} == {"correct": 2, "wrong": 1, "missing": 1, "spurious": 0}
    assert fields["total"]["precision"] == pytest.approx(2 / 3) and fields["total"]["recall"] == pytest.approx(2 / 4)
    # c's date is not labelled, yet the dataset labels dates: a spurious prediction
    assert (fields["date"]["correct"], fields["date"]["spurious"]) == (2, 1)
    assert fields["vendor_name"]["similarity"] == pytest.approx(1.0)
    assert fields["line_items"]["f1"] == 1.0
    assert run["mean"]["f1"] == pytest.approx(sum(f["f1"] for f in fields.values()) / 4)
    assert run["latency_ms"]["ocr"]["p50"] == 10.0 and run["latency_ms"]["total"]["p95"] == 15.5
    assert sum(row["count"] for row in run["calibration"]) == 9  # every prediction with a confidence

    stdout = capsys.readouterr().out
    assert "### tiny [fake-ocr + fake-extractor]" in stdout
    assert "| total | 0.667 | 0.500 |" in stdout

    rows = [json.loads(line) for line in errors.read_text().splitlines()]
    by_key = {(r["id"], r["field"]): r for r in rows}
    assert by_key[("b", "total")]["kind"] == "wrong"
    assert by_key[("b", "total")]["expected"] == "5.00" and by_key[("b", "total")]["predicted"] == "50.00"
    assert "TOTAL 9.00" in by_key[("b", "total")]["context"]  # OCR lines around the predicted box
    assert by_key[("c", "date")]["kind"] == "spurious"
    assert by_key[("broken", "total")]["kind"] == "missing"
    assert ("a", "total") not in by_key  # correct fields are not listed


def test_dataset_ocr_source_feeds_the_boxes(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "boxed", with_boxes=True)
    out = tmp_path / "r.json"
    assert main([str(data), "--ocr-source", "dataset", "--workers", "1", "--limit", "2", "--out", str(out), "--no-progress"], factory=FakePipeline) == 0
    assert [t.pages[0].lines[0].text for t in SEEN_TEXT] == ["ACME, STORES", "ACME, STORES"]
    assert (SEEN_TEXT[0].pages[0].width, SEEN_TEXT[0].pages[0].height) == (64.0, 48.0)
    run = json.loads(out.read_text())["runs"]["boxed [dataset-ocr + fake-extractor]"]
    assert run["documents"] == 2 and run["ocr_source"] == "dataset"


def test_dataset_ocr_source_needs_boxes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_dataset(tmp_path / "plain")
    assert main([str(data), "--ocr-source", "dataset", "--no-progress"], factory=FakePipeline) == 2
    assert 'manifest.jsonl:1: document \'a\' has no "ocr_boxes"' in capsys.readouterr().err


def test_bad_manifest_exits_2_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_dataset(tmp_path / "bad")
    with (data / "manifest.jsonl").open("a") as handle:
        handle.write('{"id": "x", "file": "a.png", "fields": {"date": "3 May"}}\n')
    assert main([str(data), "--no-progress"], factory=FakePipeline) == 2
    assert "manifest.jsonl:5:" in capsys.readouterr().err


def _unbuildable() -> Any:
    raise ValueError("unknown OCR engine 'nope'")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_engines_that_cannot_be_built_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str) -> None:
    data = make_dataset(tmp_path / "tiny")
    assert main([str(data), "--workers", workers, "--no-progress"], factory=_unbuildable) == 2
    assert "could not build the pipeline: ValueError: unknown OCR engine 'nope'" in capsys.readouterr().err


def test_baseline_compare_and_fail_below(tmp_path: Path, capsys: pytest.CaptureFixture[str], answers: dict) -> None:
    data = make_dataset(tmp_path / "tiny")
    baseline = tmp_path / "baseline.json"
    base_args = [str(data), "--workers", "1", "--no-progress"]
    assert main([*base_args, "--write-baseline", str(baseline)], factory=FakePipeline) == 0
    stored = json.loads(baseline.read_text())["runs"]["tiny [fake-ocr + fake-extractor]"]
    assert stored["fields"]["total"]["f1"] == pytest.approx(0.5714, abs=1e-4)
    capsys.readouterr()

    assert main([*base_args, "--fail-below", str(baseline)], factory=FakePipeline) == 0

    answers["a"]["total"] = ("8.00", 0.99)  # one more wrong total
    assert main([*base_args, "--compare", str(baseline), "--fail-below", str(baseline)], factory=FakePipeline) == 1
    captured = capsys.readouterr()
    assert "| total | 0.571 | 0.286 | -0.286 |" in captured.out
    assert "REGRESSION tiny [fake-ocr + fake-extractor] total" in captured.err
    assert main([*base_args, "--fail-below", str(baseline), "--tolerance", "0.5"], factory=FakePipeline) == 0

    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": 1, "runs": {"elsewhere [x + y]": {"documents": 1, "mean": {"f1": 1.0}, "fields": {}}}}))
    assert main([*base_args, "--fail-below", str(other)], factory=FakePipeline) == 2


def test_write_baseline_keeps_other_runs(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "tiny")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"version": 1, "runs": {"keep [a + b]": {"documents": 3, "mean": {}, "fields": {}}}}))
    assert main([str(data), "--workers", "1", "--no-progress", "--write-baseline", str(baseline)], factory=FakePipeline) == 0
    assert set(json.loads(baseline.read_text())["runs"]) == {"keep [a + b]", "tiny [fake-ocr + fake-extractor]"}


def test_samples_score_at_least_the_committed_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CI check: the real pipeline on the repo's samples, against eval/baseline.json (about 4 s)."""
    out, errors = tmp_path / "samples.json", tmp_path / "errors.jsonl"
    args = [str(SAMPLES), "--workers", "1", "--no-progress", "--out", str(out), "--errors", str(errors)]
    code = main([*args, "--fail-below", str(ROOT / "eval" / "baseline.json")])
    (run,) = json.loads(out.read_text())["runs"].values()
    assert run["documents"] == 2 and run["failed"] == 0
    assert run["latency_ms"]["ocr"]["p95"] > 0

    # the error listing and the counts describe the same outcomes
    labels = [json.loads(line)["fields"] for line in (SAMPLES / "manifest.jsonl").read_text().splitlines() if line.strip()]
    rows = [json.loads(line) for line in errors.read_text().splitlines()]
    for name, stats in run["fields"].items():
        assert len([r for r in rows if r["field"] == name]) == stats["wrong"] + stats["missing"] + stats["spurious"]
        labelled = sum(len(doc.get(name, [])) if name == "line_items" else int(name in doc) for doc in labels)
        assert stats["correct"] + stats["wrong"] + stats["missing"] == labelled
    assert code == 0, capsys.readouterr().err


def test_default_workers_is_one_with_a_gpu_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from extraction import engines
    from extraction.evaluate.runner import default_workers

    monkeypatch.setitem(engines.EXTRACTORS, "gpu-model", engines.EngineSpec("x:Y", "x:available", gpu=True))
    monkeypatch.setitem(engines.EXTRACTORS, "cpu-model", engines.EngineSpec("x:Y", "x:available", gpu=False))
    monkeypatch.setitem(engines.OCR_ENGINES, "cpu-ocr", engines.EngineSpec("x:Y", "x:available", gpu=False))
    assert default_workers("cpu-ocr", "gpu-model") == 1
    assert default_workers("cpu-ocr", "cpu-model") == (os.cpu_count() or 1)


class BusyPipeline(FakePipeline):
    """Spends about 60 ms of CPU on each document, and sleeps 60 ms more (wall time, no CPU)."""

    def extract_bytes(self, data: bytes, doc_id: str = "doc", fields: Any = None, options: Any = None) -> DocumentResult:
        import time

        started = time.process_time()
        while time.process_time() - started < 0.06:
            pass
        time.sleep(0.06)
        return super().extract_bytes(data, doc_id, fields, options)


def test_cpu_time_per_document_is_reported_apart_from_wall_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_dataset(tmp_path / "tiny")
    out = tmp_path / "report.json"
    assert main([str(data), "--workers", "1", "--out", str(out), "--no-progress"], factory=BusyPipeline) == 0
    run = json.loads(out.read_text())["runs"]["tiny [fake-ocr + fake-extractor]"]
    assert 0.055 <= run["cpu_seconds_per_document"] < run["seconds_per_document"]
    assert run["seconds_per_document"] >= 0.115
    assert "s of CPU" in capsys.readouterr().out
