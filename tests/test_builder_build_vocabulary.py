"""builder/build_vocabulary.py: the receipt-word vocabulary learned from transcripts."""

from __future__ import annotations

import json
from pathlib import Path

from builder import build_vocabulary


def test_build_vocabulary_counts_documents_not_lines(tmp_path: Path) -> None:
    (tmp_path / "boxes").mkdir()
    texts = {"a": ["JALAN JALAN JALAN", "RARE"], "b": ["Jalan Besar", "TAMAN"], "c": ["TAMAN, besar"]}
    with (tmp_path / "manifest.jsonl").open("w") as manifest:
        for doc_id, lines in texts.items():
            (tmp_path / "boxes" / f"{doc_id}.txt").write_text("\n".join(f"0,0,1,0,1,1,0,1,{line}" for line in lines))
            manifest.write(json.dumps({"id": doc_id, "fields": {}, "ocr_boxes": f"boxes/{doc_id}.txt"}) + "\n")
    out = tmp_path / "vocab.json"
    assert build_vocabulary.main([str(tmp_path), "--out", str(out)]) == 0
    words = json.loads(out.read_text())["words"]
    assert words["JALAN"] == 2 and words["TAMAN"] == 2 and words["BESAR"] == 2
    assert "RARE" not in words  # one document only
    assert "TOTAL" in words  # lexicon words are always known


def test_build_vocabulary_fits_only_the_chosen_side_of_a_split(tmp_path: Path) -> None:
    data = tmp_path / "shops"
    (data / "boxes").mkdir(parents=True)
    texts = {"a1": "ALPHAWORD", "a2": "ALPHAWORD", "b1": "BETAWORD", "b2": "BETAWORD"}
    with (data / "manifest.jsonl").open("w") as manifest:
        for doc_id, line in texts.items():
            (data / "boxes" / f"{doc_id}.txt").write_text(f"0,0,1,0,1,1,0,1,{line}")
            manifest.write(json.dumps({"id": doc_id, "fields": {}, "ocr_boxes": f"boxes/{doc_id}.txt"}) + "\n")
    split = tmp_path / "split.json"
    docs = {doc_id: ["A" if doc_id.startswith("a") else "B", doc_id[0]] for doc_id in texts}
    split.write_text(json.dumps({"version": 1, "name": "s", "grouping": "shop", "documents": {"shops": docs}}))
    out = tmp_path / "vocab.json"
    assert build_vocabulary.main([str(data), "--split", str(split), "--side", "tune", "--out", str(out)]) == 0
    tune = json.loads(out.read_text())
    assert "ALPHAWORD" in tune["words"] and "BETAWORD" not in tune["words"] and tune["documents"] == 2
    assert build_vocabulary.main([str(data), "--split", str(split), "--side", "tune", "--swap", "--out", str(out)]) == 0
    swapped = json.loads(out.read_text())["words"]
    assert "BETAWORD" in swapped and "ALPHAWORD" not in swapped
