"""The label-reachability ceiling: which labels a reader could return from the printed lines."""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "label_reachability.py"
_SPEC = importlib.util.spec_from_file_location("label_reachability", _PATH)
reach = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(reach)

LINES = ["TAN WOON YANN", "27,JALAN DEDAP 13,", "TAMAN JOHOR JAYA,", "81100 JOHOR BAHRU,JOHOR.", "TEL:07-3507405"]


def test_label_equal_to_consecutive_lines_joined_by_a_space():
    assert reach.reachability("27,JALAN DEDAP 13, TAMAN JOHOR JAYA, 81100 JOHOR BAHRU,JOHOR.", LINES, 12) == (True, True, True)


def test_label_with_a_space_the_print_lacks_is_only_reachable_by_its_letters():
    assert reach.reachability("27, JALAN DEDAP 13, TAMAN JOHOR JAYA, 81100 JOHOR BAHRU, JOHOR.", LINES, 12) == (False, False, True)


def test_lines_joined_with_a_comma_count_as_any_separator():
    assert reach.reachability("TAN WOON YANN, TEL:07-3507405", [LINES[0], LINES[4]], 12) == (False, True, True)


def test_words_not_on_the_page_are_unreachable():
    assert reach.reachability("27, JALAN DEDAP 31", LINES, 12) == (False, False, False)


def test_runs_are_bounded_by_max_lines():
    assert reach.reachability("27,JALAN DEDAP 13, TAMAN JOHOR JAYA,", LINES, 1) == (False, False, False)
