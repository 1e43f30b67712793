"""``extraction.extract`` and the ``extract`` command in this process, on the shipped samples.

One CPU pipeline is built for the module and handed to the API (``pipeline=``) and to the
command (through the per-process cache), so the samples are read once per test, engines once.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from extraction.local import api, cli
from extraction.overlay import page_images, render_page, save_overlay
from extraction.overlay.draw import LINE_ITEM_COLOUR, confidence_colour
from extraction.schema import DocumentResult
from tests.support.engines import FakeExtractor, FakeOcr
from tests.support.paths import SAMPLES

MANIFEST = {row["id"]: row for row in map(json.loads, (SAMPLES / "manifest.jsonl").read_text().splitlines())}
RECEIPT, INVOICE = SAMPLES / "receipt.png", SAMPLES / "invoice.pdf"


@pytest.fixture(scope="module")
def pipeline():
    from extraction.pipeline import Pipeline

    return Pipeline.from_env(ocr="rapidocr", extractor="rules")


@pytest.fixture(scope="module")
def receipt_result(pipeline) -> DocumentResult:
    return api.extract(RECEIPT, pipeline=pipeline)


@pytest.fixture
def cached_pipeline(pipeline, monkeypatch):
    """The command finds the module's pipeline in the per-process cache instead of building one."""
    monkeypatch.setitem(api._PIPELINES, ("rapidocr", "rules"), pipeline)
    return pipeline


def _values(result: DocumentResult) -> dict:
    return {name: found.value for name, found in result.fields.items() if found is not None}


# ---------------------------------------------------------------------------- API


def test_extract_a_path_returns_the_workers_result_model(receipt_result):
    assert isinstance(receipt_result, DocumentResult)
    assert receipt_result.status == "ok" and receipt_result.id == RECEIPT.as_posix()
    expected = {k: v for k, v in MANIFEST["receipt"]["fields"].items() if k != "line_items"}
    assert {k: _values(receipt_result).get(k) for k in expected} == expected
    again = DocumentResult.model_validate_json(receipt_result.model_dump_json())
    assert again == receipt_result


def test_extract_bytes_and_a_list_keep_input_order(pipeline):
    data = INVOICE.read_bytes()
    one = api.extract(data, pipeline=pipeline, fields=["total", "date"])
    assert isinstance(one, DocumentResult) and one.id == "document-1"
    assert set(one.fields) == {"total", "date"} and one.fields["total"].value == MANIFEST["invoice"]["fields"]["total"]

    many = api.extract([INVOICE, b"%PDF-1.7 truncated", str(INVOICE)], pipeline=pipeline, fields=["total"])
    assert [r.id for r in many] == [INVOICE.as_posix(), "document-2"]  # the same file named twice runs once
    assert [r.status for r in many] == ["ok", "error"]
    assert many[1].error.code == "corrupt_document"
    assert json.loads(many[0].model_dump_json())["fields"]["total"]["value"] == "355.20"


def test_extract_a_folder_returns_a_list(tmp_path, pipeline):
    shutil.copy(INVOICE, tmp_path / "b.pdf")
    (tmp_path / "notes.txt").write_text("not a document")
    (tmp_path / "sub").mkdir()
    shutil.copy(INVOICE, tmp_path / "sub" / "a.pdf")
    results = api.extract(tmp_path, pipeline=pipeline, fields=["total"])
    assert [Path(r.id).relative_to(tmp_path).as_posix() for r in results] == ["b.pdf", "sub/a.pdf"]
    assert all(r.status == "ok" for r in results)


def test_bad_arguments_raise_before_any_document_runs(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        api.extract(tmp_path / "missing.pdf", pipeline=object())
    with pytest.raises(ValueError, match="unknown field"):
        api.extract(INVOICE, fields=["totl"], pipeline=object())
    with pytest.raises(ValueError):
        api.extract(INVOICE, options={"dpi": 5}, pipeline=object())


def test_unexpected_failures_become_error_results():
    class Broken:
        def extract_bytes(self, *args, **kwargs):
            raise RuntimeError("boom")

    result = api.extract(b"anything", pipeline=Broken())
    assert result.status == "error" and result.error.code == "internal_error"


def test_engines_are_built_once_per_process(monkeypatch):
    from extraction.pipeline import Pipeline

    built = []
    monkeypatch.setattr(api, "_PIPELINES", {})
    monkeypatch.setattr(Pipeline, "from_env", classmethod(lambda cls, ocr=None, extractor=None: built.append(ocr) or Pipeline(FakeOcr(), FakeExtractor())))
    first = api.get_pipeline("fake")
    assert api.get_pipeline("fake") is first and built == ["fake"]
    result = api.extract(RECEIPT, ocr="fake")
    assert result.status == "ok" and result.engines["extractor"] == "fake-extractor" and built == ["fake"]


def test_importing_the_package_loads_no_engine():
    import subprocess
    import sys

    code = "import sys\nfrom extraction import extract\nprint([m for m in ('rapidocr', 'onnxruntime', 'extraction.ocr.rapid', 'pypdfium2') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=SAMPLES.parent)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------- the command, in process


def test_command_prints_one_documents_json(cached_pipeline, capsys):
    assert cli.main([str(INVOICE), "--ocr", "rapidocr", "--extractor", "rules", "--fields", "total,line_items"]) == 0
    result = DocumentResult.model_validate_json(capsys.readouterr().out)
    assert result.fields["total"].value == "355.20" and len(result.line_items) == 3


def test_command_csv_has_a_row_per_document_with_header_fields(cached_pipeline, tmp_path, capsys):
    out = tmp_path / "out.csv"
    broken = tmp_path / "broken.png"
    broken.write_bytes(RECEIPT.read_bytes()[:200])
    code = cli.main([str(INVOICE), str(broken), "-o", str(out), "--ocr", "rapidocr", "--extractor", "rules", "--no-progress"])
    assert code == 1
    import csv

    rows = list(csv.DictReader(out.open(newline="")))
    assert [r["status"] for r in rows] == ["ok", "error"]
    invoice = MANIFEST["invoice"]["fields"]
    assert {k: rows[0][k] for k in ("vendor_name", "invoice_number", "date", "total")} == {k: invoice[k] for k in ("vendor_name", "invoice_number", "date", "total")}
    assert rows[0]["line_items"] == "3" and rows[0]["checks"] == "passed"
    assert rows[1]["error_code"] == "corrupt_document" and rows[1]["total"] == ""
    assert "corrupt_document" in capsys.readouterr().err


def test_command_json_file_has_the_job_output_shape(cached_pipeline, tmp_path):
    out = tmp_path / "results.json"
    assert cli.main([str(INVOICE), "-o", str(out), "--ocr", "rapidocr", "--extractor", "rules", "--fields", "total"]) == 0
    from extraction.schema import JobOutput

    job = JobOutput.model_validate_json(out.read_text())
    assert job.summary.documents == 1 and job.summary.failed == 0 and job.documents[0].fields["total"].value == "355.20"


def test_command_reads_standard_input(cached_pipeline, capsys):
    stdin = io.BytesIO(INVOICE.read_bytes())
    assert cli.main(["-", "--ocr", "rapidocr", "--extractor", "rules", "--fields", "date"], stdin=stdin) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["id"] == "stdin" and result["fields"]["date"]["value"] == "2024-02-05"


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing-dir/"], "no such file or folder: missing-dir/"),
        (["nothing-*.pdf"], "no file matches"),
        ([str(INVOICE), "--fields", "total,colour"], "unknown field(s) colour"),
        ([str(INVOICE), "--queries", "{not json"], "--queries is not valid JSON"),
        ([str(INVOICE), "--pages", "0"], "page numbers start at 1"),
        ([str(INVOICE), "-o", "out.xlsx"], "use .json, .jsonl or .csv"),
        ([str(INVOICE), "--workers", "0"], "--workers must be at least 1"),
        ([str(INVOICE), "--ocr", "no-such-engine"], "could not build the pipeline"),
        ([str(INVOICE), str(SAMPLES / "receipt.png"), "--workers", "2", "--extractor", "nope"], "unknown extractor engine 'nope'"),
    ],
)
def test_command_usage_errors_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_an_empty_folder_is_a_usage_error(tmp_path, capsys):
    assert cli.main([str(tmp_path)]) == 2
    assert "no documents found" in capsys.readouterr().err


# ---------------------------------------------------------------------------- overlay of a real extraction


def _sides(bbox, width):
    """The four sides of the outline drawn just outside ``bbox``, as pixel lists."""
    x1, y1, x2, y2 = (round(v) for v in bbox)
    return [
        [(x, y1 - width) for x in range(x1, x2)],
        [(x, y2 + width - 1) for x in range(x1, x2)],
        [(x1 - width, y) for y in range(y1, y2)],
        [(x2 + width - 1, y) for y in range(y1, y2)],
    ]


def _outlined(image, bbox, width, colour, share=0.6):
    """Every side of the box is mostly drawn in ``colour`` (labels of neighbours may cover a little)."""
    return all(sum(image.getpixel(p) == colour for p in side) / len(side) > share for side in _sides(bbox, width))


def test_overlay_of_the_receipt_draws_each_field_where_it_was_read(receipt_result, tmp_path):
    (path,) = save_overlay(receipt_result, RECEIPT, tmp_path)
    original = Image.open(RECEIPT).convert("RGB")
    drawn = Image.open(path).convert("RGB")
    assert drawn.size == original.size
    from extraction.overlay.draw import scale_for

    width = scale_for(drawn.size)[1]
    for name in ("vendor_name", "date", "subtotal", "tax", "payment_method"):  # boxes that no other field shares
        found = receipt_result.fields[name]
        assert _outlined(drawn, found.bbox, width, confidence_colour(found.confidence)), name
    for item in receipt_result.line_items:
        assert _outlined(drawn, item.bbox, max(1, width - 1), LINE_ITEM_COLOUR, share=0.5)

    # away from every outline, label and the panel, the page is untouched
    import numpy as np

    overlay = render_page(original, receipt_result, 1)
    changed = (np.asarray(original) != np.asarray(overlay.image)).any(axis=2)
    allowed = np.zeros_like(changed)
    for x1, y1, x2, y2 in [*overlay.marks, overlay.panel]:
        allowed[max(int(y1) - 2, 0) : int(y2) + 3, max(int(x1) - 2, 0) : int(x2) + 3] = True
    assert changed.sum() > 1000
    assert not (changed & ~allowed).any()
    assert (~allowed).sum() > 0.4 * allowed.size  # most of the page is far from any mark


def test_overlay_of_a_pdf_text_layer_page_matches_its_rendering(pipeline, tmp_path):
    result = api.extract(INVOICE, pipeline=pipeline, overlay_dir=tmp_path)
    (path,) = sorted(tmp_path.glob("*.png"))
    assert path.name.endswith("invoice.pdf-page1.png")
    page = page_images(INVOICE)[1]
    drawn = Image.open(path).convert("RGB")
    assert drawn.size == page.size and page.width > 1600  # A4 at the default 200 dpi
    from extraction.overlay.draw import scale_for

    for name in ("invoice_number", "total"):
        found = result.fields[name]
        assert _outlined(drawn, found.bbox, scale_for(drawn.size)[1], confidence_colour(found.confidence)), name
