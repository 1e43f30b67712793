"""RapidOCR imported with its model tables read cheaply: the same model files, its own lookups intact."""

from __future__ import annotations

import pytest

pytest.importorskip("rapidocr")

from extraction.ocr.rapid_import import import_rapidocr, shipped_model_info  # noqa: E402


def _sections() -> list:
    from rapidocr import RapidOCR

    cfg = RapidOCR(params={"Global.log_level": "warning"}).cfg  # sub-models load on first use: none here
    return [cfg.Det, cfg.Cls, cfg.Rec]


def test_shipped_model_info_is_what_rapidocr_itself_finds() -> None:
    import_rapidocr()
    from rapidocr.inference_engine.base import FileInfo, InferSession
    from rapidocr.utils.typings import EngineType

    for section in _sections():
        params = (section.ocr_version, section.task_type, section.lang_type, section.model_type)
        own = InferSession.get_model_url(FileInfo(EngineType.ONNXRUNTIME, *params))
        assert shipped_model_info(*params)["model_dir"] == own["model_dir"]


def test_rapidocr_own_table_is_still_a_tree_on_first_use() -> None:
    import_rapidocr()
    from omegaconf import DictConfig
    from rapidocr.inference_engine.base import InferSession

    assert isinstance(InferSession.model_info, DictConfig)
    assert InferSession.model_info is InferSession.model_info  # built once


def test_an_unknown_model_is_a_clear_error() -> None:
    import_rapidocr()
    from rapidocr.utils.typings import ModelType, OCRVersion, TaskType

    with pytest.raises(ValueError):
        shipped_model_info(OCRVersion.PPOCRV4, TaskType.REC, "no-such-language", ModelType.MOBILE)
