"""Confidence calibration curves: fitting and applying."""

from extraction.extractors.layout.calibration import calibrate, fit_curve, load_curves
from extraction.extractors.layout.extractor import RulesExtractor


def test_fit_curve_is_monotone_and_tracks_accuracy() -> None:
    pairs = [(0.1 * (i % 10), (i % 10) >= 5) for i in range(400)]
    curve = fit_curve(pairs)
    ys = [y for _, y in curve]
    xs = [x for x, _ in curve]
    assert ys == sorted(ys) and xs == sorted(xs) and len(set(xs)) == len(xs)
    assert calibrate("f", 0.0, {"f": curve}) < 0.2 and calibrate("f", 0.9, {"f": curve}) > 0.8


def test_calibrate_interpolates_and_leaves_unknown_fields_alone() -> None:
    curves = {"total": [(0.5, 0.2), (0.9, 0.9)]}
    assert abs(calibrate("total", 0.7, curves) - 0.55) < 1e-9
    assert abs(calibrate("total", 0.25, curves) - 0.1) < 1e-9 and calibrate("total", 1.0, curves) == 0.9
    assert calibrate("vendor_name", 0.42, curves) == 0.42


def test_shipped_curves_load_and_the_extractor_can_run_without_them() -> None:
    assert set(load_curves()) >= {"date", "total"}
    assert RulesExtractor(calibration=False).curves == {}
    assert "total" in RulesExtractor().describe()["calibrated_fields"]


def test_fit_curve_keeps_a_tied_raw_value_in_one_bin() -> None:
    # most answers share one raw score (0.8) and are right 4 times in 5; a few lower ones are right 2 in 3
    pairs = [(0.6, i % 3 != 0) for i in range(60)] + [(0.8, i % 5 != 0) for i in range(340)]
    curve = fit_curve(pairs)
    assert abs(calibrate("f", 0.8, {"f": curve}) - 0.8) < 0.03
    assert abs(calibrate("f", 0.6, {"f": curve}) - 0.667) < 0.05
