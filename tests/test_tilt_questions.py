"""The question data file: valid field names, both styles, type overrides, custom files."""

from __future__ import annotations

import json

import pytest

from extraction.extractors.tilt.questions import QUESTIONS_FILE, QuestionSet
from extraction.fields import FIELD_KINDS


ENTRIES = [
    (block, name, entry)
    for block, entries in json.loads(QUESTIONS_FILE.read_text()).items()
    if not block.startswith("_")
    for name, entry in entries.items()
]


@pytest.mark.parametrize(("block", "name", "entry"), ENTRIES, ids=[f"{block}.{name}" for block, name, _ in ENTRIES])
def test_every_entry_names_a_standard_field_and_has_both_styles(block, name, entry):
    assert name in FIELD_KINDS
    assert entry.get("question") and entry.get("key")


def test_default_block_covers_every_header_field_but_document_type():
    asked = set(QuestionSet().for_document(None))
    assert asked == set(FIELD_KINDS) - {"document_type"}


def test_type_block_overrides_default_and_unknown_type_falls_back():
    qs = QuestionSet()
    assert qs.for_document("receipt")["total"] != qs.for_document(None)["total"]
    assert qs.for_document("receipt")["tax"] == qs.for_document(None)["tax"]
    assert qs.for_document("purchase_order") == qs.for_document(None)


def test_key_style():
    assert QuestionSet(style="key").for_document(None)["invoice_number"] == "invoice number"


def test_custom_questions_file(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"default": {"total": {"question": "Grand total?"}}}))
    assert QuestionSet(path).for_document("invoice") == {"total": "Grand total?"}
    assert QuestionSet(path, style="key").for_document(None) == {"total": "Grand total?"}  # falls back to question
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"receipt": {}}))
    with pytest.raises(ValueError, match="default"):
        QuestionSet(bad)
