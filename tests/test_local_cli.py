"""The ``extract`` command end to end, in a subprocess as a user runs it, on the shipped samples.

``python -m extraction.local`` is what the ``extract`` console script calls (it exists once the
package is installed); each run builds the CPU engines, so the runs here are few.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from extraction.schema import DocumentResult
from tests.support.paths import ROOT, SAMPLES

MANIFEST = {row["id"]: row["fields"] for row in map(json.loads, (SAMPLES / "manifest.jsonl").read_text().splitlines())}
ENGINES = ["--ocr", "rapidocr", "--extractor", "rules"]


def run_extract(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}  # this checkout's code
    return subprocess.run([sys.executable, "-m", "extraction.local", *args, *ENGINES], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_the_console_script_is_declared():
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["extract"].partition(":")
    import importlib

    assert callable(getattr(importlib.import_module(module), name))


def test_one_file_prints_its_json():
    done = run_extract("samples/invoice.pdf")
    assert done.returncode == 0, done.stderr
    result = DocumentResult.model_validate_json(done.stdout)
    assert result.id == "samples/invoice.pdf" and result.status == "ok"
    expected = MANIFEST["invoice"]
    assert {k: result.fields[k].value for k in ("vendor_name", "date", "total")} == {k: expected[k] for k in ("vendor_name", "date", "total")}
    assert [item.amount for item in result.line_items] == [item["amount"] for item in expected["line_items"]]


def test_a_folder_prints_json_lines_and_a_corrupt_file_fails_the_run(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(SAMPLES / "receipt.png", folder / "a-receipt.png")
    shutil.copy(SAMPLES / "invoice.pdf", folder / "b-invoice.pdf")
    (folder / "c-broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)  # a JPEG header, no image
    (folder / "notes.txt").write_text("not a document")
    overlays = tmp_path / "overlays"
    done = run_extract("inbox", "--workers", "2", "--overlay", str(overlays), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["inbox/a-receipt.png", "inbox/b-invoice.pdf", "inbox/c-broken.jpg"]  # input order
    assert [line["status"] for line in lines] == ["ok", "ok", "error"]
    assert lines[0]["fields"]["total"]["value"] == MANIFEST["receipt"]["total"]
    assert lines[1]["fields"]["total"]["value"] == MANIFEST["invoice"]["total"]
    assert lines[2]["error"]["code"] == "corrupt_document"
    assert "inbox/c-broken.jpg: corrupt_document" in done.stderr
    assert sorted(p.name for p in overlays.iterdir()) == ["inbox_a-receipt.png-page1.png", "inbox_b-invoice.pdf-page1.png"]


def test_csv_with_a_row_per_line_item(tmp_path):
    out = tmp_path / "items.csv"
    done = run_extract(str(SAMPLES / "invoice.pdf"), "-o", str(out), "--line-items")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    expected = MANIFEST["invoice"]
    assert [{k: r[k] for k in ("description", "quantity", "unit_price", "amount")} for r in rows] == expected["line_items"]
    assert [r["item"] for r in rows] == ["1", "2", "3"]
    assert {r["invoice_number"] for r in rows} == {expected["invoice_number"]} and {r["total"] for r in rows} == {expected["total"]}
    assert "1 document(s), 1 ok, 0 failed" in done.stderr
