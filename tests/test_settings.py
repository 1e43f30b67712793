"""Settings from the environment: defaults, good and bad values, the start-up check, the README table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from extraction.settings import Settings, SettingsError, load_settings
from extraction.settings.catalog import ALL_SETTINGS, BEGIN, END, check_environment, markdown_table, render_readme, rows
from extraction.settings.fetch import BucketSettings, FetchSettings
from extraction.settings.limits import Limits
from extraction.settings.models import ModelCacheSettings, PaddleDetModelSource, PaddleRecModelSource, TiltModelSource
from extraction.settings.concurrency import ConcurrencySettings
from extraction.settings.rapidocr import RapidOcrSettings
from extraction.settings.worker import WorkerSettings
from tests.support.paths import ROOT

MiB = 1024 * 1024

#: The defaults every deployment relies on; a change here changes behaviour.
DEFAULTS = {
    Limits: {
        "max_document_bytes": 25 * MiB, "max_job_bytes": 200 * MiB, "max_documents_per_job": 1000, "max_pages": 50,
        "max_page_pixels": 40_000_000, "max_decoded_side": 3000, "max_text_chars": 200_000, "document_timeout_s": 120.0, "extract_batch_size": 16,
    },
    FetchSettings: {
        "max_bytes": 25 * MiB, "connect_timeout_s": 5.0, "read_timeout_s": 30.0, "total_timeout_s": 120.0, "retries": 2,
        "backoff_s": 0.5, "max_redirects": 5, "allow_private": False, "allow_http": False, "max_prefix_objects": 1000,
        "prefetch": 4, "ca_bundle": None,
    },
    BucketSettings: {"endpoint_url": None, "access_key_id": None, "secret_access_key": None, "name": None},
    RapidOcrSettings: {
        "det_limit_type": "max", "det_limit_side_len": 1280, "use_cls": False, "det_box_thresh": None, "det_thresh": None,
        "det_unclip_ratio": None, "text_score": None, "max_side_len": None, "threads": None, "rec_model": None,
        "word_boxes": True, "respace": True, "crop_pad": 0.0, "runtime": "auto",
        "det_runtime": "onnxruntime", "precision": "auto",
        "openvino_cache_dir": None, "rec_batch_size": None, "det_min_short_side": 0,
        "det_shape_step": 0, "rec_width_step": 0, "rec_full_batches": False, "reduce_first": True, "recycle_above_mb": 450,
    },
    ConcurrencySettings: {"document_concurrency": None, "reader_max_rss_mb": 0},
    ModelCacheSettings: {
        "cache_dir": None, "download": True, "local_copy_dir": None, "lock_timeout_s": 3600.0, "verify_sha256": True,
        "set_offline": True, "volume": Path("/runpod-volume"),
    },
    TiltModelSource: {"model_id": "Snowflake/snowflake-arctic-tilt-v1.3", "model_revision": None, "model_dir": None},
    PaddleDetModelSource: {"model": "PP-OCRv5_server_det", "model_id": None, "model_revision": None, "model_dir": None},
    WorkerSettings: {"ocr_engine": "auto", "extractor": "auto", "log_level": "INFO"},
}


@pytest.mark.parametrize("cls", list(DEFAULTS), ids=lambda cls: cls.__name__)
def test_defaults(cls):
    assert load_settings(cls, {}).model_dump() == DEFAULTS[cls]


@pytest.mark.parametrize(
    "cls, env, field, expected",
    [
        (Limits, {"MAX_PAGES": "7"}, "max_pages", 7),
        (Limits, {"DOCUMENT_TIMEOUT_S": "2.5"}, "document_timeout_s", 2.5),
        (Limits, {"MAX_PAGE_PIXELS": "4e7"}, "max_page_pixels", 40_000_000),  # float notation, as always accepted
        (Limits, {"max_pages": "3"}, "max_pages", 3),  # names are case-insensitive
        (FetchSettings, {"FETCH_RETRIES": "0"}, "retries", 0),
        (FetchSettings, {"MAX_DOCUMENT_BYTES": "1000"}, "max_bytes", 1000),  # the one byte cap, shared with Limits
        (FetchSettings, {"FETCH_CONCURRENCY": "8"}, "prefetch", 8),
        (FetchSettings, {"MAX_PREFIX_OBJECTS": "50"}, "max_prefix_objects", 50),
        (FetchSettings, {"FETCH_CA_BUNDLE": "/etc/ca.pem"}, "ca_bundle", "/etc/ca.pem"),
        (BucketSettings, {"BUCKET_ENDPOINT_URL": "https://s3.example"}, "endpoint_url", "https://s3.example"),
        (RapidOcrSettings, {"RAPIDOCR_DET_LIMIT_TYPE": "MIN"}, "det_limit_type", "min"),
        (RapidOcrSettings, {"RAPIDOCR_CROP_PAD": "0.05"}, "crop_pad", 0.05),
        (RapidOcrSettings, {"RAPIDOCR_THREADS": "-1"}, "threads", -1),
        (RapidOcrSettings, {"RAPIDOCR_RUNTIME": " ONNXRuntime "}, "runtime", "onnxruntime"),
        (ConcurrencySettings, {"DOCUMENT_CONCURRENCY": "3"}, "document_concurrency", 3),
        (ModelCacheSettings, {"MODEL_CACHE_DIR": "/data/models"}, "cache_dir", Path("/data/models")),
        (ModelCacheSettings, {"RUNPOD_VOLUME": "/mnt/vol"}, "volume", Path("/mnt/vol")),
        (ModelCacheSettings, {"MODEL_LOCK_TIMEOUT_S": "60"}, "lock_timeout_s", 60.0),
        (TiltModelSource, {"TILT_MODEL_DIR": "/w/tilt"}, "model_dir", Path("/w/tilt")),
        (PaddleRecModelSource, {"PADDLE_REC_MODEL": "PP-OCRv5_mobile_rec"}, "repo_id", "PaddlePaddle/PP-OCRv5_mobile_rec"),
        (PaddleRecModelSource, {"PADDLE_REC_MODEL_ID": "me/rec"}, "repo_id", "me/rec"),
        (WorkerSettings, {"OCR_ENGINE": " RapidOCR "}, "ocr_engine", "rapidocr"),
        (WorkerSettings, {"LOG_LEVEL": "debug"}, "log_level", "DEBUG"),
    ],
)
def test_a_good_value_is_read(cls, env, field, expected):
    assert getattr(load_settings(cls, env), field) == expected


@pytest.mark.parametrize(
    "cls, name, value",
    [
        (Limits, "MAX_PAGES", "many"),
        (Limits, "MAX_PAGES", "0"),
        (Limits, "MAX_JOB_BYTES", "-5"),
        (Limits, "MAX_TEXT_CHARS", "2.5"),  # a fraction is no longer cut to a whole number
        (Limits, "DOCUMENT_TIMEOUT_S", "0"),
        (FetchSettings, "FETCH_RETRIES", "-1"),
        (FetchSettings, "FETCH_CONNECT_TIMEOUT_S", "0"),
        (FetchSettings, "FETCH_CONCURRENCY", "0"),
        (FetchSettings, "ALLOW_PRIVATE_URLS", "maybe"),
        (FetchSettings, "ALLOW_HTTP_URLS", "2"),
        (FetchSettings, "MAX_DOCUMENT_BYTES", "big"),
        (RapidOcrSettings, "RAPIDOCR_USE_CLS", "maybe"),
        (RapidOcrSettings, "RAPIDOCR_WORD_BOXES", "maybe"),
        (RapidOcrSettings, "RAPIDOCR_DET_LIMIT_TYPE", "longest"),
        (RapidOcrSettings, "RAPIDOCR_CROP_PAD", "wide"),
        (RapidOcrSettings, "RAPIDOCR_CROP_PAD", "5"),
        (RapidOcrSettings, "RAPIDOCR_TEXT_SCORE", "1.5"),
        (RapidOcrSettings, "RAPIDOCR_THREADS", "-2"),
        (RapidOcrSettings, "RAPIDOCR_RUNTIME", "tensorrt"),
        (RapidOcrSettings, "RAPIDOCR_PRECISION", "fp8"),
        (RapidOcrSettings, "RAPIDOCR_REC_BATCH_SIZE", "0"),
        (ConcurrencySettings, "DOCUMENT_CONCURRENCY", "0"),
        (ConcurrencySettings, "DOCUMENT_CONCURRENCY", "many"),
        (ModelCacheSettings, "MODEL_DOWNLOAD", "maybe"),
        (ModelCacheSettings, "MODEL_LOCK_TIMEOUT_S", "soon"),
        (WorkerSettings, "OCR_ENGINE", "tesseract"),
        (WorkerSettings, "EXTRACTOR", "gpt"),
        (WorkerSettings, "LOG_LEVEL", "loud"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_variable(cls, name, value):
    with pytest.raises(SettingsError, match=f"environment variable {name}={value!r}"):
        load_settings(cls, {name: value})


BOOLEANS = [(cls, row_name) for cls in ALL_SETTINGS for row_name, info in cls.model_fields.items() if info.annotation is bool]


@pytest.mark.parametrize("cls, field", BOOLEANS, ids=lambda item: getattr(item, "__name__", item))
@pytest.mark.parametrize(
    "raw, expected",
    [("true", True), ("false", False), ("1", True), ("0", False), ("yes", True), ("no", False), ("on", True), ("off", False), ("TRUE", True), (" Off ", False)],
)
def test_booleans_accept_the_usual_spellings(cls, field, raw, expected):
    assert getattr(load_settings(cls, {cls.env_name(field): raw}), field) is expected


def test_every_class_has_booleans_covered():
    assert {cls for cls, _ in BOOLEANS} >= {FetchSettings, RapidOcrSettings, ModelCacheSettings}


FIELDS = [(cls, field) for cls in ALL_SETTINGS for field in cls.model_fields]


@pytest.mark.parametrize("cls, field", FIELDS, ids=lambda item: getattr(item, "__name__", item))
def test_a_blank_variable_means_the_default(cls, field):
    assert getattr(load_settings(cls, {cls.env_name(field): "  "}), field) == getattr(load_settings(cls, {}), field)


def test_code_may_pass_values_by_field_name_and_they_are_checked_too():
    assert FetchSettings(allow_http=True, max_bytes=10).allow_http is True  # aliased fields by their field name
    assert load_settings(FetchSettings, {"ALLOW_HTTP_URLS": "false"}, allow_http=True).allow_http is True  # code wins
    with pytest.raises(SettingsError, match="setting FETCH_RETRIES=-1"):
        load_settings(FetchSettings, {}, retries=-1)


def test_settings_are_frozen_and_hashable():
    settings = load_settings(FetchSettings, {})
    with pytest.raises(Exception):
        settings.retries = 5  # type: ignore[misc]
    assert hash(settings) == hash(load_settings(FetchSettings, {}))  # the S3 client cache keys on them
    assert settings.model_copy(update={"allow_http": True}).allow_http is True


def test_a_secret_is_never_echoed():
    class Secretive(Settings):
        api_token: int = 0

    with pytest.raises(SettingsError) as info:
        load_settings(Secretive, {"API_TOKEN": "s3cr3t-value"})
    assert "API_TOKEN" in str(info.value) and "s3cr3t-value" not in str(info.value)
    bucket = load_settings(BucketSettings, {"BUCKET_SECRET_ACCESS_KEY": "s3cr3t-value"})
    assert bucket.secret == "s3cr3t-value" and "s3cr3t-value" not in repr(bucket)


def test_the_start_up_check_names_every_bad_variable():
    check_environment({})
    with pytest.raises(SettingsError) as info:
        check_environment({"ALLOW_HTTP_URLS": "maybe", "MAX_PAGES": "0", "RAPIDOCR_USE_CLS": "perhaps"})
    message = str(info.value)
    assert all(name in message for name in ("ALLOW_HTTP_URLS", "MAX_PAGES", "RAPIDOCR_USE_CLS"))


def test_engine_choices_are_the_registered_engines():
    from typing import get_args

    from extraction.engines import EXTRACTORS, OCR_ENGINES
    from extraction.settings.worker import ExtractorName, OcrEngineName

    assert set(get_args(OcrEngineName)) == set(OCR_ENGINES) | {"auto"}
    assert set(get_args(ExtractorName)) == set(EXTRACTORS) | {"auto"}


def test_rapidocr_defaults_shown_in_the_table_are_rapidocrs_own():
    import rapidocr
    import yaml  # RapidOCR's own dependency

    config = yaml.safe_load((Path(rapidocr.__file__).parent / "config.yaml").read_text())
    engine_default = {
        "RAPIDOCR_DET_BOX_THRESH": config["Det"]["box_thresh"],
        "RAPIDOCR_DET_THRESH": config["Det"]["thresh"],
        "RAPIDOCR_DET_UNCLIP_RATIO": config["Det"]["unclip_ratio"],
        "RAPIDOCR_TEXT_SCORE": config["Global"]["text_score"],
        "RAPIDOCR_MAX_SIDE_LEN": config["Global"]["max_side_len"],
        "RAPIDOCR_THREADS": config["EngineConfig"]["onnxruntime"]["intra_op_num_threads"],
    }
    shown = {row.variable: row.default for row in rows()}
    for name, value in engine_default.items():
        assert shown[name] == f"RapidOCR's (`{value}`)", name


def test_the_readme_table_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_readme(readme) == readme, "run: python -m extraction.settings --write"


def test_every_variable_has_a_meaning_and_appears_once():
    table = markdown_table()
    for cls in ALL_SETTINGS:
        for field, info in cls.model_fields.items():
            assert info.description, f"{cls.__name__}.{field} has no description"
            assert table.count(f"| `{cls.env_name(field)}` |") == 1


def test_a_variable_read_by_two_classes_has_one_default():
    seen: dict[str, object] = {}
    for cls in ALL_SETTINGS:
        values = load_settings(cls, {})
        for field in cls.model_fields:
            name = cls.env_name(field)
            value = getattr(values, field)
            assert seen.setdefault(name, value) == value, name


def test_the_generator_checks_and_writes(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n\n{BEGIN}\n| old |\n{END}\n\nmore\n", encoding="utf-8")
    command = [sys.executable, "-m", "extraction.settings", "--readme", str(stale)]
    assert subprocess.run([*command, "--check"], cwd=ROOT, capture_output=True).returncode == 1
    assert subprocess.run([*command, "--write"], cwd=ROOT, capture_output=True).returncode == 0
    assert subprocess.run([*command, "--check"], cwd=ROOT, capture_output=True).returncode == 0
    text = stale.read_text(encoding="utf-8")
    assert "| old |" not in text and "`RAPIDOCR_CROP_PAD`" in text and text.endswith(f"{END}\n\nmore\n")
    with pytest.raises(ValueError, match="markers"):
        render_readme("no markers here")


@pytest.mark.parametrize("name, value", [("ALLOW_HTTP_URLS", "maybe"), ("LOG_LEVEL", "loud")])
def test_the_worker_stops_at_start_up_with_the_variable_named(name, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNPOD_")}
    env.update({"OCR_ENGINE": "rapidocr", "EXTRACTOR": "rules", name: value})
    proc = subprocess.run([sys.executable, "handler.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"{name}={value!r}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_model_cache_reads_its_settings(monkeypatch, tmp_path):
    import model_cache

    monkeypatch.setenv("MODEL_DOWNLOAD", "maybe")
    with pytest.raises(SettingsError, match="MODEL_DOWNLOAD"):
        model_cache.downloads_allowed()
    monkeypatch.setenv("MODEL_DOWNLOAD", "off")
    assert model_cache.downloads_allowed() is False
    monkeypatch.setenv("TILT_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("PADDLE_DET_MODEL", "PP-OCRv5_mobile_det")
    specs = model_cache.registry()
    assert specs["tilt"].directory == tmp_path
    assert model_cache.search_locations(specs["tilt"]) == [f"TILT_MODEL_DIR={tmp_path}"]
    assert specs["paddle-det"].repo_id == "PaddlePaddle/PP-OCRv5_mobile_det" and specs["paddle-det"].model_name == "PP-OCRv5_mobile_det"


def test_logging_refuses_an_unknown_level(monkeypatch):
    import logging

    from extraction.logs import setup_logging

    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setattr(logging.getLogger(), "_extraction_configured", False, raising=False)
    with pytest.raises(SettingsError, match="LOG_LEVEL"):
        setup_logging()
