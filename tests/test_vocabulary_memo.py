"""The label matcher remembers its answers per text: the same answers, never shared lists."""

from __future__ import annotations

from extraction.extractors.layout.lexicon import fold
from extraction.vocabulary import Vocabulary, load_vocabulary


def test_repeated_questions_get_the_same_answers_as_a_fresh_matcher() -> None:
    texts = ["Rechnungs-Nr.: 2024-117   Fälligkeit 12.03.2024", "Rechnungsnummmer 42", "Grand Totall 12.00", "nothing here"]
    options_list = ({}, {"fields": ["invoice_number"]}, {"languages": ["de", "en"]}, {"fuzzy": False}, {"keep_overlaps": True}, {"min_score": 0.95})
    shared = load_vocabulary()
    for text in texts:
        for options in options_list:
            shared.match(text, **options)  # remembered from here on
    for text in texts:
        for options in options_list:
            fresh = Vocabulary(shared.fields, shared.entries)  # a matcher of its own: nothing remembered
            assert shared.match(text, **options) == fresh.match(text, **options)


def test_an_answer_changed_by_its_caller_does_not_change_the_next_one() -> None:
    text = "Invoice number: INV-1   Total 12.50"
    first = load_vocabulary().match(text)
    assert first
    first.clear()
    assert load_vocabulary().match(text) != []


def test_fuzzy_matches_still_depend_on_the_allowed_score() -> None:
    text = "Rechnungsnummmer 42"
    loose = load_vocabulary().match(text, min_score=0.8)
    strict = load_vocabulary().match(text, min_score=1.0)
    assert any(m.fuzzy for m in loose) and not any(m.fuzzy for m in strict)


def test_fold_is_the_same_remembered_or_not() -> None:
    assert fold("Échéance") == fold("Échéance") == "echeance"
    assert fold("ÀB") == "ab"
