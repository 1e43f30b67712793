"""Words and lines: splitting, grouping into rows/columns, reading order."""

from __future__ import annotations

from extraction.layout import Line, Word, group_words_into_lines, polygon_to_bbox, sort_reading_order, split_line_into_words


def test_split_line_gives_proportional_word_boxes():
    words = split_line_into_words("TOTAL  RM 9.00", (100, 10, 240, 30), 0.8)
    assert [w.text for w in words] == ["TOTAL", "RM", "9.00"]
    assert words[0].bbox[0] == 100 and words[-1].bbox[2] == 240
    assert all(a.bbox[2] <= b.bbox[0] for a, b in zip(words, words[1:]))
    assert all(w.confidence == 0.8 for w in words)
    assert split_line_into_words("   ", (0, 0, 10, 10)) == []


def test_polygon_to_bbox():
    assert polygon_to_bbox([[10, 5], [50, 7], [49, 20], [9, 18]]) == (9, 5, 50, 20)


def _word(text, x1, y1, x2=None, height=10):
    return Word(text, (x1, y1, x2 if x2 is not None else x1 + 8 * len(text), y1 + height))


def test_group_words_into_rows_and_split_columns():
    words = [
        _word("Invoice", 10, 100), _word("No:", 70, 101),
        _word("INV-1", 400, 100),  # far right: a separate column
        _word("Date:", 10, 130), _word("2024-01-02", 60, 131),
    ]
    lines = group_words_into_lines(words)
    assert [line.text for line in lines] == ["Invoice No:", "INV-1", "Date: 2024-01-02"]


def test_reading_order_is_top_to_bottom_then_left_to_right():
    right = Line.from_words([_word("B", 300, 11)])
    left = Line.from_words([_word("A", 10, 10)])
    below = Line.from_words([_word("C", 10, 40)])
    assert [line.text for line in sort_reading_order([below, right, left])] == ["A", "B", "C"]


def test_a_tall_title_does_not_merge_two_small_lines_beside_it() -> None:
    words = [
        _word("FACTUUR.", 10, 100, height=60),  # large type spanning both small lines on the right
        _word("Coolblue", 400, 105), _word("B.V.", 480, 105),
        _word("Weena", 400, 125), _word("664", 460, 125),
    ]
    lines = group_words_into_lines(words)
    assert sorted(line.text for line in lines) == ["Coolblue B.V.", "FACTUUR.", "Weena 664"]
