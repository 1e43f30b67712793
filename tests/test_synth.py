"""The synthetic-document generator: its manifests load, its numbers add up, its PDFs say what the truth says."""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest

pytest.importorskip("fpdf")
pypdfium2 = pytest.importorskip("pypdfium2")

from builder.synth.__main__ import main as synth_main  # noqa: E402
from builder.synth.dataset import Options, write_dataset  # noqa: E402
from builder.synth.fonts import FontSet, font_set  # noqa: E402
from builder.synth.page import Page, Text  # noqa: E402
from builder.synth.render_image import write_scan  # noqa: E402
from extraction.evaluate.manifest import load_dataset  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("synth")
    out = {}
    for kind in ("invoice", "receipt"):
        out[kind] = root / kind
        write_dataset(Options(kind=kind, count=3, out=out[kind], seed=5, scan_share=0.34))
    return out


def rows(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def printed_numbers(text: str) -> set[Decimal]:
    """Every amount-like number in the text (``1 234,56``, ``1,234.56``, ``75,47``), as a value."""
    found = set()
    for match in re.finditer(r"(?<![\d.,])(\d{1,3}(?:[ .,']\d{3})*|\d+)(?:([.,])(\d{1,2}))?(?![\d])", text):
        whole = re.sub(r"[ .,']", "", match.group(1))
        found.add(Decimal(f"{whole}.{match.group(3)}") if match.group(3) else Decimal(whole))
    return found


def test_manifests_pass_the_evaluation_checks(tiny: dict[str, Path]) -> None:
    for kind, folder in tiny.items():
        dataset = load_dataset(folder)  # raises on any non-canonical label or missing file
        assert len(dataset.entries) == 3
        assert {"vendor_name", "date", "total", "currency", "line_items"} <= set(dataset.labelled_fields)
        for row in rows(folder):
            assert row["format"] in ("pdf", "scan") and row["layout"] and row["language"]
            assert (folder / row["file"]).stat().st_size > 1000


def test_the_text_layer_carries_the_labelled_values(tiny: dict[str, Path]) -> None:
    checked = 0
    for folder in tiny.values():
        for row in rows(folder):
            if row["format"] != "pdf":
                continue
            text = pdf_text(folder / row["file"])
            flat = re.sub(r"\s+", " ", text)
            fields = row["fields"]
            assert fields["vendor_name"] in flat
            if "invoice_number" in fields:
                assert fields["invoice_number"] in flat
            numbers = printed_numbers(text)
            for name in ("total", "subtotal", "tax", "tip"):
                if name in fields:
                    assert Decimal(fields[name]) in numbers, f"{row['id']}: {name} {fields[name]} is not printed"
            for item in fields["line_items"]:
                assert item["description"].split()[0] in flat
                assert Decimal(item["amount"]) in numbers
            checked += 1
    assert checked >= 2


def test_the_numbers_add_up(tiny: dict[str, Path]) -> None:
    for folder in tiny.values():
        for row in rows(folder):
            f = row["fields"]
            total, items = Decimal(f["total"]), f["line_items"]
            lines = sum(Decimal(i["amount"]) for i in items)
            discount, tip, tax = (Decimal(f.get(k, "0")) for k in ("discount", "tip", "tax"))
            if row["id"].startswith("invoice"):
                if "subtotal" in f:
                    assert Decimal(f["subtotal"]) == lines
                assert lines - discount + tax + tip == total
            elif "subtotal" in f and Decimal(f["subtotal"]) != lines:  # prices include tax: the subtotal is the net
                assert Decimal(f["subtotal"]) + tax == lines - discount
                assert abs(total - (lines - discount + tip)) <= Decimal("1.00")  # cash rounding (SEK to whole kronor)
            else:
                assert abs(total - (lines - discount + tax + tip)) <= Decimal("1.00")


def test_same_seed_same_documents_other_seed_others(tmp_path: Path) -> None:
    a, b, c = (write_dataset(Options(kind="receipt", count=2, out=tmp_path / name, seed=seed, scan_share=0)) for name, seed in (("a", 3), ("b", 3), ("c", 4)))
    assert a.read_text() == b.read_text()
    assert a.read_text() != c.read_text()


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth_main(["invoices", "--n", "2", "--out", str(tmp_path / "out"), "--locales", "de-DE,pl-PL", "--scan-share", "0"]) == 0
    assert {row["locale"] for row in rows(tmp_path / "out")} <= {"de-DE", "pl-PL"}
    assert "python -m extraction.evaluate" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        synth_main(["invoices", "--n", "2", "--out", str(tmp_path / "x"), "--locales", "xx-XX"])


def test_multi_page_scans_are_tiff(tmp_path: Path) -> None:
    pages = [Page(200, 100, [Text(10, 50, f"Seite {n}", 12)]) for n in (1, 2)]
    path = write_scan(pages, tmp_path / "doc", font_set(), random.Random(1), dpi=100, receipt=False)
    from PIL import Image

    with Image.open(path) as image:
        assert path.suffix == ".tif" and image.n_frames == 2


def test_without_unicode_fonts_text_is_folded_to_latin_1() -> None:
    fallback = FontSet({})
    assert not fallback.unicode
    assert fallback.printable("Łódź 12,00 € Müller") == "Lódz 12,00 EUR Müller"  # ó is Latin-1, ł is not
    assert fallback.width("Total", "sans", 10) > 0


def test_no_two_printed_runs_of_a_receipt_overlap(tmp_path: Path) -> None:
    """A long date beside a right-aligned time label goes to the next line instead of printing over
    it (overlapping runs make a text layer no printer would produce)."""
    from extraction.documents import load_document
    from extraction.settings.limits import Limits

    folder = tmp_path / "r"
    write_dataset(Options(kind="receipt", count=20, out=folder, seed=3, scan_share=0.0))
    overlaps = []
    for row in rows(folder):
        for page in load_document((folder / row["file"]).read_bytes(), limits=Limits()).pages:
            words = [w for line in page.lines for w in (line.words or [])]
            for i, a in enumerate(words):
                for b in words[i + 1 :]:
                    same_line = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1]) > 0.5 * (a.bbox[3] - a.bbox[1])
                    if same_line and min(a.bbox[2], b.bbox[2]) - max(a.bbox[0], b.bbox[0]) > 3:
                        overlaps.append((row["id"], a.text, b.text))
    assert not overlaps, overlaps[:5]
