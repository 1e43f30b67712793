"""``python -m model_cache prefetch`` / ``status`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.hub_server import FakeRepo, HubServer, hub_process_env

PADDLE_FILES = {"inference.yml": b"Global:\n  model_name: x\n", "inference.json": b"{}", "inference.pdiparams": b"\0" * 2048}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model_cache", *args], env=env, capture_output=True, text=True, timeout=120)


def test_status_lists_present_sizes_and_missing(tmp_path):
    plain = tmp_path / "models" / "tilt"
    plain.mkdir(parents=True)
    (plain / "config.json").write_text("{}")
    (plain / "model.safetensors").write_bytes(b"\0" * 3_000_000)
    env = hub_process_env(tmp_path, "http://127.0.0.1:9")

    result = _cli(env, "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"model cache: {tmp_path / 'models'}"
    tilt = next(line for line in lines if " tilt " in line)
    assert tilt.startswith("present") and "3.0 MB" in tilt and str(plain) in tilt
    assert any(line.startswith("MISSING") and "PaddlePaddle/PP-OCRv5_server_det" in line for line in lines)
    assert lines[-1] == "missing: paddle-det, paddle-rec -> run `python -m model_cache prefetch`"

    data = json.loads(_cli(env, "status", "--json").stdout)
    rows = {row["name"]: row for row in data["models"]}
    assert rows["tilt"]["present"] and rows["tilt"]["bytes"] == 3_000_002
    assert not rows["paddle-rec"]["present"] and rows["paddle-rec"]["searched"]


def test_prefetch_ocr_downloads_then_status_shows_them(tmp_path):
    repos = [
        FakeRepo("PaddlePaddle/PP-OCRv5_server_det", PADDLE_FILES),
        FakeRepo("PaddlePaddle/PP-OCRv5_server_rec", {**PADDLE_FILES, "inference.yml": b"rec: 1\n"}),
        FakeRepo("PaddlePaddle/PP-LCNet_x1_0_textline_ori", {**PADDLE_FILES, "README.md": b"not fetched"}),
    ]
    with HubServer(repos) as hub:
        env = hub_process_env(tmp_path, hub.url)
        result = _cli(env, "prefetch", "--ocr")
        assert result.returncode == 0, result.stderr
        downloaded = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("downloaded")]
        assert downloaded == ["paddle-det", "paddle-rec", "paddle-textline-ori"]
        assert "PaddlePaddle/PP-LCNet_x1_0_textline_ori/README.md" not in hub.downloads  # allow_patterns honoured
        assert not any("snowflake" in key for key in hub.downloads)  # --ocr leaves TILT alone

        again = _cli(env, "prefetch", "--ocr")
        assert [line.split()[0] for line in again.stdout.splitlines()[1:]] == ["present"] * 3
        assert sum(hub.downloads.values()) == 9

    status = {row["name"]: row for row in json.loads(_cli(env, "status", "--json").stdout)["models"]}
    assert status["paddle-det"]["source"] == "managed" and status["paddle-det"]["bytes"] > 2048
    assert not status["tilt"]["present"]


def test_prefetch_reports_failure_with_exit_code(tmp_path):
    with HubServer([]) as hub:  # the hub knows no repository
        result = _cli(hub_process_env(tmp_path, hub.url, TILT_MODEL_ID="acme/absent"), "prefetch", "--tilt")
    assert result.returncode == 1
    assert "FAILED  tilt: downloading acme/absent" in result.stderr and "RepositoryNotFoundError" in result.stderr
    assert not (tmp_path / "models" / "acme--absent").exists()
    assert not list((tmp_path / "models" / ".tmp").iterdir())
