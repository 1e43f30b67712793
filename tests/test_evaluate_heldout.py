"""Held-out validation: groups, split files and the tune / held-out report.

Small synthetic manifests with a fake pipeline of the real one's shape, so that every number
the report prints can be checked exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pytest
from PIL import Image

from extraction.evaluate.cli import main
from extraction.evaluate.groups import GroupingError, check_grouping, group_keys, id_prefix
from extraction.evaluate.manifest import load_dataset
from extraction.evaluate.pdfsource import producer_family, station_in
from extraction.evaluate.shopnames import normalize_shop, shop_groups
from extraction.evaluate.splits import SplitError, assign_sides, load_split, make_split, split_groups, write_split
from extraction.evaluate.splits import main as splits_main
from extraction.schema import DocumentResult, ExtractedField

#: doc id -> total the fake pipeline answers
TOTALS: dict[str, str] = {}


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


class FakePipeline:
    ocr = _Named("fake-ocr")
    extractor = _Named("fake-extractor")

    def describe(self) -> dict[str, Any]:
        return {}

    def extract_bytes(self, data: bytes, doc_id: str = "doc", fields: Any = None, options: Any = None) -> DocumentResult:
        fields_out = {}
        if doc_id in TOTALS:
            fields_out["total"] = ExtractedField(value=TOTALS[doc_id], text=TOTALS[doc_id], confidence=0.9, page=1, bbox=[0, 0, 1, 1])
        return DocumentResult(id=doc_id, status="ok", fields=fields_out, timings_ms={"total": 1.0})


def write_manifest(root: Path, rows: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for row in rows:
        row.setdefault("file", f"{row['id']}.png")
        if not (root / row["file"]).exists():
            Image.new("RGB", (8, 8), "white").save(root / row["file"])
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


def layouts_dataset(root: Path) -> Path:
    """Six layouts of two documents each; the fake answers layouts 1-3 right and 4-6 half right."""
    rows = []
    TOTALS.clear()
    for layout in range(1, 7):
        for n in range(2):
            doc_id = f"m{layout}-{n}"
            rows.append({"id": doc_id, "layout": layout, "fields": {"total": f"{layout}{n}.00"}, "raw": {"office": f"o{n}"}})
            TOTALS[doc_id] = f"{layout}{n}.00" if layout <= 3 or n == 0 else "0.01"
    return write_manifest(root, rows)


# ---------------------------------------------------------------------- shop names


@pytest.mark.parametrize(
    ("label", "normal"),
    [
        ("MR. D.I.Y. (M) SDN BHD", "MR DIY"),
        ("MR.D.I.Y(M)SDN BHD", "MR DIY"),
        ("MR. D. I. Y. (KUCHAI) SDN BHD", "MR DIY"),
        ("SEGI CASH & CARRY SDN.BHD", "SEGI CASH CARRY"),
        ("KING'S CONFECTIONERY S/B", "KINGS CONFECTIONERY"),
        ("  Café   Müller GmbH ", "CAFE MULLER"),
        ("SDN BHD", "SDN BHD"),  # a name that is only a suffix keeps it
        (None, ""),
    ],
)
def test_shop_names_normalise(label: Optional[str], normal: str) -> None:
    assert normalize_shop(label) == normal


def test_shop_groups_join_slips_and_contained_names_but_not_different_shops() -> None:
    names = ["RESTORAN WAN SHENG", "RESTORAN WAN SHENG", "RSTORAN WAN SHENG", "GH DISTRIBUTOR & MARKETING SDN BHD",
             "GHEE HIANG GH DISTRIBUTOR & MARKETING SDN BHD", "NADEJE PLATINUM SDN BHD", "NADEJE PRESTIGE SDN BHD", "ASIA MART"]
    groups = shop_groups(names)
    assert groups["RSTORAN WAN SHENG"] == groups["RESTORAN WAN SHENG"] == "RESTORAN WAN SHENG"  # the commoner spelling names it
    assert groups["GHEE HIANG GH DISTRIBUTOR & MARKETING SDN BHD"] == groups["GH DISTRIBUTOR & MARKETING SDN BHD"]
    assert groups["NADEJE PLATINUM SDN BHD"] != groups["NADEJE PRESTIGE SDN BHD"]
    assert len(set(groups.values())) == 5


# ---------------------------------------------------------------------- group keys


def test_group_keys(tmp_path: Path) -> None:
    dataset = load_dataset(layouts_dataset(tmp_path / "inv"))
    assert group_keys(dataset.entries, "layout")["m4-1"] == "4"
    assert group_keys(dataset.entries, "prefix")["m4-1"] == "m4"
    assert group_keys(dataset.entries, "field:raw.office")["m4-1"] == "o1"
    assert group_keys(dataset.entries, "field:raw.nothing")["m4-1"] == "(none)"
    assert group_keys(dataset.entries, "source")["m4-1"] == "unknown"  # images name no source
    assert id_prefix("X51005301659") == "X" and id_prefix("inv_0003") == "inv"
    with pytest.raises(GroupingError, match="unknown grouping 'colour'"):
        check_grouping("colour")


def test_pdf_producer_family_and_station() -> None:
    assert producer_family("GPL Ghostscript 8.15") == "GPL Ghostscript"
    assert producer_family("iTextSharp 4.1.6 by 1T3XT") == "iTextSharp"
    assert producer_family("HP Exstream Version 8.0.315 32-bit") == "HP Exstream"
    text = "WEEK OF 03/02\nKXLF-TV Butte\nLn Ch KXLF 1 $20.00\nKECI competitive share 0%\nWITH THANKS"
    assert station_in(text) == "KXLF"  # printed twice; WEEK and WITH are words
    assert station_in("no call sign here") is None


def test_source_of_a_pdf_from_its_metadata(tmp_path: Path) -> None:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.set_producer("ReportBuilder")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.text(20, 20, "KXLF-TV  Order 1234   KXLF")
    (tmp_path / "ads").mkdir()
    pdf.output(str(tmp_path / "ads" / "o.pdf"))
    write_manifest(tmp_path / "ads", [{"id": "o", "file": "o.pdf", "fields": {"total": "1.00"}}])
    entries = load_dataset(tmp_path / "ads").entries
    assert group_keys(entries, "source") == {"o": "ReportBuilder"}
    assert group_keys(entries, "station") == {"o": "KXLF"}


# ---------------------------------------------------------------------- split files


def test_sorted_split_cuts_layouts_into_halves_and_balanced_split_balances_each_dataset(tmp_path: Path) -> None:
    dataset = load_dataset(layouts_dataset(tmp_path / "inv"))
    groups = split_groups([dataset], "layout")
    assert assign_sides(groups, order="sorted") == {"1": "A", "2": "A", "3": "A", "4": "B", "5": "B", "6": "B"}
    balanced = assign_sides(groups, order="balanced", seed=7)
    assert sorted(balanced.values()) == ["A", "A", "A", "B", "B", "B"]
    assert balanced == assign_sides(groups, order="balanced", seed=7)  # reproducible


def test_shop_split_keeps_one_shop_on_one_side_across_datasets(tmp_path: Path) -> None:
    shops = ["MR. D.I.Y. (M) SDN BHD", "MR D.I.Y. (JOHOR) SDN BHD", "AEON CO. (M) BHD", "AEON CO. (M) SDN BHD", "TEO HENG STATIONERY", "TED HENG STATIONERY",
             "SANYU STATIONERY SHOP", "UNIHAKKA INTERNATIONAL SDN BHD"]
    train = write_manifest(tmp_path / "train", [{"id": f"t{i}", "fields": {"vendor_name": s, "total": "1.00"}} for i, s in enumerate(shops)])
    dev = write_manifest(tmp_path / "dev", [{"id": f"d{i}", "fields": {"vendor_name": s, "total": "1.00"}} for i, s in enumerate(reversed(shops))])
    datasets = [load_dataset(train), load_dataset(dev)]
    content = make_split(datasets, "shop", seed=3)
    side_of = {}
    for name, docs in content["documents"].items():
        for doc_id, (side, group) in docs.items():
            assert side_of.setdefault(group, side) == side, f"{group} on both sides"
    assert len(side_of) == 5 and {"MR DIY", "AEON", "SANYU STATIONERY SHOP", "UNIHAKKA INTERNATIONAL"} < side_of.keys()
    for name in ("train", "dev"):
        counts = [side for side, _ in content["documents"][name].values()]
        assert abs(counts.count("A") - counts.count("B")) <= 2
    write_split(tmp_path / "s.json", content)
    split = load_split(tmp_path / "s.json")
    assert split.side_of("dev", "d0") == content["documents"]["dev"]["d0"][0]
    assert split.group_of("train", "t1") == "MR DIY"


def test_split_file_problems_are_reported(tmp_path: Path) -> None:
    with pytest.raises(SplitError, match="does not exist"):
        load_split(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "documents": {"d": {"a": ["A", "g"], "b": ["B", "g"]}}}))
    with pytest.raises(SplitError, match="group 'g' is on both sides"):
        load_split(bad)
    bad.write_text(json.dumps({"version": 1, "documents": {"d": {"a": ["C", "g"]}}}))
    with pytest.raises(SplitError, match='expected \\["A" or "B", group\\]'):
        load_split(bad)


def test_splits_command_writes_a_reproducible_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = layouts_dataset(tmp_path / "inv")
    args = [str(data), "--by", "layout", "--order", "sorted"]
    assert splits_main(["make", *args, "--out", str(tmp_path / "a.json")]) == 0
    assert splits_main(["make", *args, "--out", str(tmp_path / "b.json")]) == 0
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    assert a["documents"] == b["documents"] and a["groups"] == {"1": "A", "2": "A", "3": "A", "4": "B", "5": "B", "6": "B"}
    assert "| inv | 6 | 6 | 3 | 3 |" in capsys.readouterr().out
    assert splits_main(["make", str(data), "--by", "colour", "--out", str(tmp_path / "c.json")]) == 2


# ---------------------------------------------------------------------- the evaluation report


def _split_file(tmp_path: Path, data: Path) -> Path:
    path = tmp_path / "split.json"
    write_split(path, make_split([load_dataset(data)], "layout", order="sorted"))
    return path


def test_report_shows_both_sides_and_the_gap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = layouts_dataset(tmp_path / "inv")
    split = _split_file(tmp_path, data)
    out = tmp_path / "r.json"
    code = main([str(data), "--workers", "1", "--no-progress", "--split", str(split), "--out", str(out)], factory=FakePipeline)
    assert code == 0
    run = json.loads(out.read_text())["runs"]["inv [fake-ocr + fake-extractor]"]
    sides = run["split"]["sides"]
    assert (sides["tune"]["side"], sides["tune"]["documents"], sides["heldout"]["documents"]) == ("A", 6, 6)
    assert sides["tune"]["fields"]["total"]["f1"] == 1.0
    assert sides["heldout"]["fields"]["total"]["f1"] == pytest.approx(0.5)
    assert run["split"]["gap"]["total"] == pytest.approx(0.5)
    text = capsys.readouterr().out
    assert "| total | 1.000 | 0.500 | +0.500 |" in text
    assert "tune = side A (6 documents, 3 groups); held-out = side B (6 documents, 3 groups)" in text
    # confidence per side: all six tune totals right at 0.9, three of six held-out ones
    assert "| [0.8, 0.95) | 6 | 1.000 | 0.900 | 6 | 0.500 | 0.900 |" in text


def test_swap_and_side_run_only_that_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = layouts_dataset(tmp_path / "inv")
    split = _split_file(tmp_path, data)
    out = tmp_path / "r.json"
    assert main([str(data), "--workers", "1", "--no-progress", "--split", str(split), "--side", "heldout", "--out", str(out)], factory=FakePipeline) == 0
    runs = json.loads(out.read_text())["runs"]
    assert list(runs) == ["inv side B [fake-ocr + fake-extractor]"]
    assert runs["inv side B [fake-ocr + fake-extractor]"]["documents"] == 6
    assert runs["inv side B [fake-ocr + fake-extractor]"]["fields"]["total"]["f1"] == pytest.approx(0.5)
    assert main([str(data), "--workers", "1", "--no-progress", "--split", str(split), "--swap", "--out", str(out)], factory=FakePipeline) == 0
    gap = json.loads(out.read_text())["runs"]["inv [fake-ocr + fake-extractor]"]["split"]["gap"]
    assert gap["total"] == pytest.approx(-0.5)  # tuned on B now


def test_group_by_prints_one_row_per_group_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = layouts_dataset(tmp_path / "inv")
    split = _split_file(tmp_path, data)
    assert main([str(data), "--workers", "1", "--no-progress", "--group-by", "layout", "--group-by", "field:raw.office", "--split", str(split)], factory=FakePipeline) == 0
    text = capsys.readouterr().out
    assert "### inv [fake-ocr + fake-extractor] by layout: 6 groups" in text
    assert "| 3 | tune | 2 | 1.000 | 1.000 |" in text
    assert "| 4 | held-out | 2 | 0.500 | 0.500 |" in text
    assert "| **all** | | 12 | 0.750 | 0.750 |" in text
    assert "| *worst group* | | | 0.500 | 0.500 |" in text
    assert "| *spread (best − worst)* | | | 0.500 | 0.500 |" in text
    assert "| o1 | tune/held-out | 6 | 0.500 | 0.500 |" in text  # straddles the split: shown as such


def test_pooled_sides_over_two_datasets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = layouts_dataset(tmp_path / "one")
    answers = dict(TOTALS)
    two = write_manifest(tmp_path / "two", [{"id": "x", "layout": 1, "fields": {"total": "5.00"}}, {"id": "y", "layout": 6, "fields": {"total": "6.00"}}])
    TOTALS.update(answers)
    TOTALS.update({"x": "5.00", "y": "6.00"})
    split = tmp_path / "split.json"
    write_split(split, make_split([load_dataset(one), load_dataset(two)], "layout", order="sorted"))
    out = tmp_path / "r.json"
    assert main([str(one), str(two), "--workers", "1", "--no-progress", "--split", str(split), "--out", str(out)], factory=FakePipeline) == 0
    pooled = json.loads(out.read_text())["splits"]["one-two-by-layout"]
    assert pooled["sides"]["heldout"]["documents"] == 7
    assert pooled["sides"]["heldout"]["fields"]["total"]["correct"] == 4  # 3 of one's 6, and y
    assert pooled["sides"]["tune"]["groups"] == 3  # layout 1 of both datasets is one group
    held_calibration = {row["bucket"]: row for row in pooled["sides"]["heldout"]["calibration"]}
    assert (held_calibration["[0.8, 0.95)"]["count"], held_calibration["[0.8, 0.95)"]["correct"]) == (7, 4)
    assert held_calibration["[0.8, 0.95)"]["mean_confidence"] == pytest.approx(0.9)
    assert held_calibration["[0, 0.5)"]["accuracy"] is None


def test_split_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = layouts_dataset(tmp_path / "inv")
    assert main([str(data), "--workers", "1", "--no-progress", "--side", "tune"], factory=FakePipeline) == 2
    assert "--side and --swap need --split" in capsys.readouterr().err
    split = tmp_path / "split.json"
    content = make_split([load_dataset(data)], "layout", order="sorted")
    del content["documents"]["inv"]["m6-1"]
    write_split(split, content)
    assert main([str(data), "--workers", "1", "--no-progress", "--split", str(split)], factory=FakePipeline) == 2
    assert "does not place 1 document(s) of inv (m6-1)" in capsys.readouterr().err
    assert main([str(data), "--workers", "1", "--no-progress", "--group-by", "colour"], factory=FakePipeline) == 2


def test_committed_splits_place_every_shared_document_and_share_no_group() -> None:
    from tests.support.paths import DATASETS, ROOT

    for path in sorted((ROOT / "eval" / "splits").glob("*.json")):
        split = load_split(path)  # refuses a group on both sides
        for name, docs in split.documents.items():
            manifest = DATASETS / name / "manifest.jsonl"
            if not manifest.exists():
                continue
            ids = {json.loads(line)["id"] for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()}
            assert ids == set(docs), f"{path.name}: {name} has documents the split does not place (or the reverse)"
