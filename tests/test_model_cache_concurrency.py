"""Several workers sharing one volume: racing downloads and crashed downloads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from model_cache.paths import MARKER
from tests.support.hub_server import FakeRepo, HubServer, hub_process_env

FILES = {"config.json": b'{"model_type": "tiny"}', "model.safetensors": b"\x01" * 20000, "extra.bin": b"\x02" * 500}
ENSURE = "import model_cache, sys; print(model_cache.ensure('tilt'), flush=True)"
ENSURE_WITH_FACTS = (
    "import json, model_cache; path = model_cache.ensure('tilt'); "
    "print(json.dumps({'path': str(path), **model_cache.timings()['tilt']}), flush=True)"
)


def test_two_processes_racing_produce_one_complete_copy(tmp_path):
    repo = FakeRepo("acme/race", FILES)
    with HubServer([repo], body_delay_s=2.0) as hub:
        env = hub_process_env(tmp_path, hub.url)
        procs = [
            subprocess.Popen([sys.executable, "-c", ENSURE_WITH_FACTS], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
        for proc, (out, err) in zip(procs, outputs):
            assert proc.returncode == 0, err
        facts = [json.loads(out) for out, _ in outputs]
        assert {f["path"] for f in facts} == {str(tmp_path / "models" / "acme--race")}
        # One downloaded; the other waited on the lock and then found the finished copy.
        assert sorted(f["downloaded"] for f in facts) == [False, True]
        assert max(f["lock_wait_ms"] for f in facts) > 500
        assert dict(hub.downloads) == {f"acme/race/{name}": 1 for name in FILES}  # fetched once, not twice

    models = tmp_path / "models"
    assert sorted(p.name for p in models.iterdir()) == [".locks", ".tmp", "acme--race"]
    assert not list((models / ".tmp").iterdir())
    final = models / "acme--race"
    assert json.loads((final / MARKER).read_text())["commit"] == repo.commit
    assert {p.name for p in final.iterdir()} == set(FILES) | {MARKER}


def test_interrupted_download_is_never_used(tmp_path):
    repo = FakeRepo("acme/race", FILES)
    with HubServer([repo], body_delay_s=30) as hub:
        env = hub_process_env(tmp_path, hub.url)
        proc = subprocess.Popen([sys.executable, "-c", ENSURE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        tmp_root = tmp_path / "models" / ".tmp"
        deadline = time.monotonic() + 60
        while not sum(hub.downloads.values()) and time.monotonic() < deadline:
            time.sleep(0.05)  # wait until file bodies are being sent (the worker is mid-download)
        time.sleep(0.3)
        assert proc.poll() is None, "the download finished before it could be interrupted"
        os.kill(proc.pid, signal.SIGKILL)  # a worker killed mid-download: no cleanup runs
        proc.wait(timeout=10)
        leftovers = list(tmp_root.iterdir())
        assert leftovers, "expected the killed download's temporary directory"

        # Nobody takes the half download for a model.
        offline = dict(env, MODEL_DOWNLOAD="0")
        result = subprocess.run([sys.executable, "-c", ENSURE], env=offline, capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "prefetch --tilt" in result.stderr
        assert not (tmp_path / "models" / "acme--race").exists()

        # The next worker with downloads allowed starts clean and ends with one whole copy.
        hub.body_delay_s = 0
        result = subprocess.run([sys.executable, "-c", ENSURE], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        final = tmp_path / "models" / "acme--race"
        assert result.stdout.strip() == str(final)
        assert all((final / name).read_bytes() == data for name, data in FILES.items())
        assert not list(tmp_root.iterdir())  # the crashed download's leftovers were removed
