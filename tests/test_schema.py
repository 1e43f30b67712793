"""The job input contract and the published JSON Schemas."""

from __future__ import annotations

import json

import pytest

from extraction.errors import ErrorCode
from extraction.pipeline import JobInputError, Pipeline
from extraction.schema import PUBLISHED_SCHEMAS, SCHEMA_DIR, JobInput, main, render_schema


@pytest.mark.parametrize("name", sorted(PUBLISHED_SCHEMAS))
def test_published_schema_is_current(name):
    path = SCHEMA_DIR / name
    assert path.exists(), f"{path} missing: run python -m extraction.schema --write"
    assert path.read_text(encoding="utf-8") == render_schema(PUBLISHED_SCHEMAS[name]), f"{name} is stale: run python -m extraction.schema --write"


def test_schema_check_command_passes_on_the_committed_schemas():
    assert main([]) == 0


def test_shipped_test_input_matches_the_schema():
    from tests.support.paths import ROOT

    job = json.loads((ROOT / "test_input.json").read_text())
    JobInput.model_validate(job["input"])


@pytest.mark.parametrize(
    "job_input, fragment",
    [
        ({}, "exactly one of 'document' or 'documents'"),
        ({"document": {"base64": "QQ=="}, "documents": [{"base64": "QQ=="}]}, "exactly one of 'document' or 'documents'"),
        ({"document": {"base64": "QQ==", "url": "s3://b/k"}}, "exactly one of 'base64' or 'url'"),
        ({"document": {"base64": "QQ==", "colour": "red"}}, "document.colour: Extra inputs are not permitted"),
        ({"document": {"base64": "QQ=="}, "fields": ["total", "favourite_colour"]}, "fields.1"),
        ({"document": {"base64": "QQ=="}, "options": {"dpi": 5000}}, "options.dpi"),
        ({"document": {"base64": "QQ=="}, "options": {"pages": [0]}}, "page numbers start at 1"),
        ({"documents": []}, "documents"),
        ({"document": {"base64": 42}}, "document.base64"),
    ],
)
def test_invalid_job_input_is_explained(job_input, fragment):
    with pytest.raises(JobInputError) as info:
        Pipeline.parse_job_input(job_input)
    assert info.value.code == ErrorCode.INVALID_INPUT
    assert fragment in info.value.message


def test_error_messages_never_echo_the_input_values():
    secret = "c2VjcmV0LXRva2VuLWRvLW5vdC1sb2c="
    with pytest.raises(JobInputError) as info:
        Pipeline.parse_job_input({"document": {"base64": secret, "password": 123}})
    assert secret not in str(info.value)


def test_non_object_input_is_rejected():
    with pytest.raises(JobInputError):
        Pipeline.parse_job_input(["not", "an", "object"])  # type: ignore[arg-type]


def test_every_error_code_is_documented_and_the_doc_is_current():
    from extraction.errors import ERROR_HELP, markdown_table
    from tests.support.paths import ROOT

    assert set(ERROR_HELP) == set(ErrorCode)
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == markdown_table(), "run: python -m extraction.errors > docs/errors.md"


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda code: code.value)
def test_error_code_is_in_the_readme_table(code):
    from tests.support.paths import ROOT

    assert f"`{code.value}`" in (ROOT / "README.md").read_text(encoding="utf-8"), f"README error table lacks {code.value}"
