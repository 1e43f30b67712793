"""The header-line classifier: features, the shipped ONNX model, the anchor it gives the rules,
and the trainer's labels."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.extractors.layout.header_features import FEATURE_NAMES, header_features, header_rows
from extraction.extractors.layout.header_fields import learned_anchor
from extraction.extractors.layout.header_model import MODEL_PATH, load_model, model_record
from extraction.extractors.layout.rows import build_layout
from extraction.layout import DocumentText, Line, PageText, sort_reading_order
from extraction.settings.header_model import HeaderModelSettings

ROOT = Path(__file__).resolve().parent.parent


def _receipt() -> DocumentText:
    rows = [
        ("TAN WOON YANN", (120, 20, 300, 40)),
        ("KEDAI MAJU HARDWARE SDN BHD", (60, 60, 440, 96)),
        ("(123456-X)", (180, 100, 320, 118)),
        ("NO 12, JALAN SS 2/4,", (90, 122, 410, 140)),
        ("47300 PETALING JAYA, SELANGOR.", (80, 144, 420, 162)),
        ("TEL: 03-7876 5432", (140, 166, 360, 184)),
        ("TAX INVOICE", (180, 200, 320, 220)),
        ("DATE: 12/03/2019", (60, 230, 300, 248)),
        ("TOTAL 12.00", (60, 400, 440, 420)),
    ]
    lines = [Line.from_text(text, box) for text, box in rows]
    return DocumentText([PageText(1, 500, 800, sort_reading_order(lines), "ocr")])


def test_one_feature_vector_per_header_row_in_the_declared_order() -> None:
    layout = build_layout(_receipt())
    rows = header_rows(layout)
    features = header_features(layout, rows)
    assert len(features) == len(rows) == 9
    assert all(len(f) == len(FEATURE_NAMES) for f in features)
    suffix = FEATURE_NAMES.index("suffix")
    assert [f[suffix] for f in features[:3]] == [0.0, 1.0, 0.0]  # the company suffix is seen on the name row only
    height = FEATURE_NAMES.index("height_page")
    assert features[1][height] > features[0][height]  # the name is printed larger


@pytest.mark.skipif(not MODEL_PATH.is_file(), reason="no shipped header model")
def test_the_shipped_model_loads_without_training_libraries_and_reads_the_name_row() -> None:
    model = load_model()
    assert model is not None
    # inference is onnxruntime only: loading the model in a fresh interpreter imports no training library
    probe = "import sys; from extraction.extractors.layout.header_model import load_model; " \
        "assert load_model() is not None; print(sorted(m for m in ('lightgbm', 'onnxmltools', 'sklearn') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    layout = build_layout(_receipt())
    probs = model.probabilities(header_features(layout))
    assert all(abs(sum(p) - 1.0) < 1e-3 for p in probs)
    assert max(range(len(probs)), key=lambda i: probs[i][1]) == 1
    assert max(range(len(probs)), key=lambda i: probs[i][2]) in (3, 4)
    record = model_record()
    assert "side" in record["fitted_on"] and record["features"] == list(FEATURE_NAMES)  # fitted on one side of a split


class _Sure:
    """A stand-in model that is sure the first row is the name."""

    def __init__(self, row: int) -> None:
        self.row = row

    def probabilities(self, features):
        return [[0.02, 0.97, 0.01] if i == self.row else [0.9, 0.05, 0.05] for i in range(len(features))]


def test_the_model_overrules_the_rules_only_when_much_surer() -> None:
    layout = build_layout(_receipt())
    assert learned_anchor(layout, None) is None  # no model: the rules decide
    assert learned_anchor(layout, _Sure(0)) == (0, 0.97)  # much surer of the row above the name
    assert learned_anchor(layout, _Sure(1))[0] == 1


def test_the_extractor_consults_the_model_only_when_switched_on(tmp_path: Path) -> None:
    off = RulesExtractor(header_model=HeaderModelSettings())
    assert off.header_model is None and off.describe()["header_model"] is False
    missing = RulesExtractor(header_model=HeaderModelSettings(mode="anchor", path=str(tmp_path / "none.onnx")))
    assert missing.header_model is None  # an absent file: the rules, not a crash
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    assert RulesExtractor(header_model=HeaderModelSettings(mode="anchor", path=str(broken))).header_model is None
    result = missing.extract([ExtractionRequest("d", _receipt(), frozenset({"vendor_name"}))])[0]
    assert result.fields["vendor_name"].value == "KEDAI MAJU HARDWARE SDN BHD"


def _trainer():
    spec = importlib.util.spec_from_file_location("train_header_classifier", ROOT / "builder" / "train_header_classifier.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_labels_are_the_runs_of_rows_that_best_match_the_ground_truth() -> None:
    trainer = _trainer()
    texts = ["TAN WOON YANN", "KEDAI MAJU HARDWARE", "SDN BHD", "(123456-X)", "NO 12,JALAN SS 2/4,", "47300 PETALING JAYA.", "TEL: 03-7876"]
    labels = trainer.row_labels(texts, "KEDAI MAJU HARDWARE SDN BHD", "NO 12, JALAN SS 2/4, 47300 PETALING JAYA.")
    assert labels == [0, 1, 1, 0, 2, 2, 0]
    assert trainer.row_labels(texts, "SOME OTHER SHOP", None) is None  # a label the rows do not hold: skipped


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("lightgbm") is None or importlib.util.find_spec("onnxmltools") is None, reason="needs the train extra")
def test_training_is_deterministic_and_exports_a_loadable_model(tmp_path: Path) -> None:
    trainer = _trainer()
    layout = build_layout(_receipt())
    features = header_features(layout) * 30
    labels = [0, 1, 0, 2, 2, 0, 0, 0, 0] * 30
    paths = []
    for name in ("a.onnx", "b.onnx"):
        model = trainer.train(features, labels)
        trainer.export_onnx(model, tmp_path / name)
        paths.append(tmp_path / name)
    first, second = load_model(str(paths[0])), load_model(str(paths[1]))
    assert first is not None and second is not None
    probs = first.probabilities(header_features(layout))
    assert probs == second.probabilities(header_features(layout))  # same seed, same model
    assert max(range(len(probs)), key=lambda i: probs[i][1]) == 1
    json.dumps(trainer.PARAMS)  # the record beside a model can hold its parameters
