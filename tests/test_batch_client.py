"""extract-batch: inputs, grouping, resume rules, the RunPod API protocol, and end to end
against the worker's own dev server (``python handler.py --rp_serve_api``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from extraction import samplegen
from extraction.batch_client.api import EndpointClient
from extraction.batch_client.inputs import BatchDocument, group_documents, local_documents
from extraction.batch_client.runner import BatchOptions, read_done_ids, run_batch
from tests.support.paths import ROOT
from tests.support.remote_servers import moto_s3  # noqa: F401  (fixture)
from tests.support.servers import dev_server as start_dev_server
from tests.support.servers import worker_env


# --------------------------------------------------------------------------- inputs and resume rules


def test_local_documents_walks_folders_with_stable_ids(tmp_path):
    (tmp_path / "in" / "2024").mkdir(parents=True)
    for name in ("in/a.pdf", "in/2024/b.PNG", "in/notes.txt", "in/.hidden.pdf", "c.jpg"):
        (tmp_path / name).write_bytes(b"x" * 10)
    os.chdir(tmp_path)
    docs = local_documents(["in", "c.jpg"])
    assert [d.id for d in docs] == ["in/a.pdf", "in/2024/b.PNG", "c.jpg"]
    assert all(d.size == 10 for d in docs)
    with pytest.raises(FileNotFoundError):
        local_documents(["nope/"])


def test_grouping_respects_count_and_body_size():
    docs = [BatchDocument(id=f"d{i}", path=Path("x"), size=3000) for i in range(7)]
    groups, too_big = group_documents(docs, batch_size=3, max_body_bytes=9000)
    assert [len(g) for g in groups] == [2, 2, 2, 1]  # 4 KB of base64 each: two fit under 9000
    assert sum(len(g) for g in groups) == 7 and too_big == []
    groups, too_big = group_documents(docs + [BatchDocument(id="huge", path=Path("y"), size=10**6)], 3, 9000)
    assert [d.id for d in too_big] == ["huge"]


def test_read_done_ids(tmp_path):
    out = tmp_path / "out.jsonl"
    lines = [
        {"id": "ok", "status": "ok"},
        {"id": "bad", "status": "error", "error": {"code": "corrupt_document"}},
        {"id": "lost", "status": "error", "error": {"code": "job_failed"}},
        {"id": "later-ok", "status": "error", "error": {"code": "job_failed"}},
        {"id": "later-ok", "status": "ok"},
    ]
    out.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"id": "half", "sta')
    assert read_done_ids(out) == {"ok", "bad", "later-ok"}
    assert read_done_ids(out, retry_errors=True) == {"ok", "later-ok"}


# --------------------------------------------------------------------------- protocol, against a fake RunPod API


class FakeRunPod:
    """Speaks RunPod's API (GET /status, bearer auth). A job holding a 'poison' document
    together with others fails; alone, the poison document comes back as a document error."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = {}
        self.methods: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                outer.methods.append("POST " + self.path.split("/")[1])
                if self.headers.get("Authorization") != "Bearer test-key":
                    return self._reply(401, {"error": "unauthorized"})
                if self.path.startswith("/status/"):
                    return self._reply(405, {"detail": "Method Not Allowed"})
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                job_id = uuid.uuid4().hex
                outer.jobs[job_id] = body
                self._reply(200, {"id": job_id, "status": "IN_QUEUE"})

            def do_GET(self) -> None:  # noqa: N802
                outer.methods.append("GET " + self.path.split("/")[1])
                if self.headers.get("Authorization") != "Bearer test-key":
                    return self._reply(401, {"error": "unauthorized"})
                job_id = self.path.rsplit("/", 1)[-1]
                outer.polls[job_id] = outer.polls.get(job_id, 0) + 1
                if outer.polls[job_id] < 2:
                    return self._reply(200, {"id": job_id, "status": "IN_PROGRESS"})
                docs = outer.jobs[job_id]["input"]["documents"]
                if len(docs) > 1 and any("poison" in d["id"] for d in docs):
                    return self._reply(200, {"id": job_id, "status": "FAILED", "error": "worker exited"})
                results = [
                    {"id": d["id"], "status": "error", "error": {"code": "corrupt_document", "message": "bad"}}
                    if "poison" in d["id"] else {"id": d["id"], "status": "ok", "fields": {}}
                    for d in docs
                ]
                output: dict[str, Any] = {"documents": results}
                if "output" in outer.jobs[job_id]["input"]:  # results went to S3: a manifest comes back
                    output = {
                        "output": outer.jobs[job_id]["input"]["output"]["url"], "manifest_key": "m.json",
                        "documents": [{"id": r["id"], "status": r["status"], "key": r["id"] + ".json", "written": True} for r in results],
                    }
                self._reply(200, {"id": job_id, "status": "COMPLETED", "output": output})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def fake_runpod():
    server = FakeRunPod()
    yield server
    server.stop()


def _files(folder: Path, names: list[str]) -> list[BatchDocument]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"%PDF-1.4 " + name.encode())
    return local_documents([str(folder)])


def test_failed_job_is_retried_then_split_so_one_document_cannot_sink_the_rest(fake_runpod, tmp_path):
    docs = _files(tmp_path / "docs", ["a.pdf", "b.pdf", "poison.pdf", "c.pdf", "d.pdf"])
    out = tmp_path / "out.jsonl"
    client = EndpointClient(fake_runpod.url, "test-key")
    options = BatchOptions(batch_size=3, concurrency=2, retries=1, poll_s=0.01, max_poll_s=0.02, backoff_s=0.01)
    report = run_batch(client, docs, out, options)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(x["id"] for x in lines) == sorted(d.id for d in docs)
    status = {Path(x["id"]).name: x["status"] for x in lines}
    assert status == {"a.pdf": "ok", "b.pdf": "ok", "poison.pdf": "error", "c.pdf": "ok", "d.pdf": "ok"}
    assert report.job_retries == 1 and report.succeeded == 4 and report.failed == 1
    # Jobs (files in name order): [a, b, c] once; [d, poison] twice, then [d] and [poison] alone.
    assert report.jobs == 5
    # Real-API protocol: status polled with GET, never POST.
    assert "GET status" in fake_runpod.methods and "POST status" not in fake_runpod.methods


def test_wrong_api_key_fails_every_document_without_secrets(fake_runpod, tmp_path):
    docs = _files(tmp_path / "docs", ["a.pdf"])
    out = tmp_path / "out.jsonl"
    report = run_batch(EndpointClient(fake_runpod.url, "wrong-key"), docs, out, BatchOptions(retries=0, backoff_s=0.01))
    line = json.loads(out.read_text())
    assert line["status"] == "error" and line["error"]["code"] == "submit_failed"
    assert "RUNPOD_API_KEY" in line["error"]["message"] and "wrong-key" not in out.read_text()
    assert report.failed == 1


# --------------------------------------------------------------------------- end to end, worker dev server


@pytest.fixture(scope="module")
def dev_server():
    with start_dev_server(RUNPOD_LOG_LEVEL="WARN") as url:
        yield url


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """24 small text-layer PDFs (fast on CPU), 2 PNG receipts and one corrupt file."""
    folder = tmp_path_factory.mktemp("corpus") / "docs"
    (folder / "sub").mkdir(parents=True)
    for i in range(24):
        page = [
            samplegen.TextItem(72, 72, f"INVOICE INV-{i:04d}", 14, bold=True),
            samplegen.TextItem(72, 110, f"Date: 2024-03-0{i % 9 + 1}", 11),
            samplegen.TextItem(72, 150, f"Total: {i}.50", 11),
        ]
        (folder / ("sub" if i % 3 == 0 else "") / f"inv-{i:02d}.pdf").write_bytes(samplegen.write_pdf([page]))
    for i in range(2):
        (folder / f"receipt-{i}.png").write_bytes(samplegen.image_bytes(samplegen.render_receipt(0.6), "PNG"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(300))
    return folder


def _run_cli(args: list[str], cwd: Path, **popen: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "extraction.batch_client", *args],
        cwd=cwd, env=worker_env(RUNPOD_LOG_LEVEL="WARN", PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


@pytest.mark.slow
def test_end_to_end_with_interruption_and_resume(dev_server, corpus, tmp_path):
    out = tmp_path / "results.jsonl"
    args = ["docs", "-o", str(out), "--base-url", dev_server, "--batch-size", "3", "--concurrency", "3", "--no-progress",
            "--fields", "invoice_number,date,total", "--poll-interval", "0.2"]
    all_ids = {p.relative_to(corpus.parent).as_posix() for p in corpus.rglob("*") if p.is_file()}
    assert len(all_ids) == 27

    # First run: interrupted (SIGINT, as Ctrl-C) once some results are in.
    first = _run_cli(args, corpus.parent)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or len(_lines(out)) < 6):
        time.sleep(0.1)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=120)
    assert first.returncode == 130
    after_first = _lines(out)
    assert 6 <= len(after_first) < 27

    # Second run: the same command resumes and finishes.
    second = _run_cli(args, corpus.parent)
    _, stderr = second.communicate(timeout=300)
    report = json.loads(stderr.strip().splitlines()[-1])
    assert "WARNING" not in stderr, stderr  # no job failed on the way
    assert second.returncode == (1 if report["failed"] else 0), stderr  # 1: a document failed in this run
    lines = _lines(out)
    assert {x["id"] for x in lines} == all_ids
    assert len(lines) == len(all_ids), "a document was sent twice"
    assert report["skipped"] == len(after_first) and report["documents"] == 27

    by_id = {x["id"]: x for x in lines}
    assert by_id["docs/broken.pdf"]["status"] == "error"
    assert by_id["docs/broken.pdf"]["error"]["code"] == "corrupt_document"
    ok = [x for x in lines if x["status"] == "ok"]
    assert len(ok) == 26
    assert all(x["job_id"] for x in lines)
    assert len({x["job_id"] for x in lines}) >= 9  # grouped: 27 documents in jobs of at most 3

    # Third run: nothing left to do.
    third = _run_cli(args, corpus.parent)
    _, stderr = third.communicate(timeout=120)
    assert json.loads(stderr.strip().splitlines()[-1])["skipped"] == 27
    assert len(_lines(out)) == 27


@pytest.mark.slow
def test_end_to_end_concurrency_against_dev_server(dev_server, corpus, tmp_path):
    docs = [d for d in local_documents([str(corpus)]) if d.id.endswith(".pdf")][:12]
    client = EndpointClient(dev_server)
    in_flight, peak, lock = 0, 0, threading.Lock()
    original_wait = client.wait

    def counting_wait(job_id: str, **kwargs: Any):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return original_wait(job_id, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    client.wait = counting_wait  # type: ignore[method-assign]
    out = tmp_path / "c.jsonl"
    report = run_batch(client, docs, out, BatchOptions(batch_size=2, concurrency=4, poll_s=0.1))
    assert report.jobs == 6 and report.failed == 1 and report.succeeded == 11  # broken.pdf is among the PDFs
    assert peak >= 2
    assert client._status_method == "POST"  # the dev server's /status is POST-only


def test_resume_skips_final_lines_and_repairs_a_cut_off_last_line(fake_runpod, tmp_path):
    docs = _files(tmp_path / "docs", ["a.pdf", "b.pdf", "c.pdf"])
    out = tmp_path / "out.jsonl"
    a, b, c = (d.id for d in docs)
    out.write_text(
        json.dumps({"id": a, "status": "ok"}) + "\n"
        + json.dumps({"id": b, "status": "error", "error": {"code": "job_failed", "message": "x"}}) + "\n"
        + '{"id": "' + c + '", "stat'  # killed mid-write
    )
    report = run_batch(EndpointClient(fake_runpod.url, "test-key"), docs, out, BatchOptions(poll_s=0.01, max_poll_s=0.02))
    assert report.skipped == 1 and report.succeeded == 2
    lines = out.read_text().splitlines()
    parsed = [json.loads(x) for x in lines[:2] + lines[3:]]
    assert [p["id"] for p in parsed] == [a, b, b, c] or [p["id"] for p in parsed] == [a, b, c, b]
    sent = [d["id"] for job in fake_runpod.jobs.values() for d in job["input"]["documents"]]
    assert sorted(sent) == [b, c]


def test_cli_needs_an_endpoint(tmp_path, monkeypatch, capsys):
    from extraction.batch_client.cli import main

    monkeypatch.delenv("RUNPOD_ENDPOINT_ID", raising=False)
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    assert main([str(tmp_path), "-o", str(tmp_path / "o.jsonl"), "--no-progress"]) == 2
    assert "--endpoint-id" in capsys.readouterr().err
    monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
    assert main([str(tmp_path), "-o", str(tmp_path / "o.jsonl"), "--endpoint-id", "x", "--no-progress"]) == 2
    assert "RUNPOD_API_KEY" in capsys.readouterr().err


def test_cli_against_the_fake_api(fake_runpod, tmp_path, monkeypatch, capsys):
    from extraction.batch_client.cli import main

    docs = _files(tmp_path / "docs", ["a.pdf", "b.pdf", "poison.pdf"])
    monkeypatch.setenv("RUNPOD_API_KEY", "test-key")
    out = tmp_path / "o.jsonl"
    code = main([str(tmp_path / "docs"), "-o", str(out), "--base-url", fake_runpod.url, "--no-progress", "--batch-size", "1",
                 "--fields", "total,date", "--options", '{"dpi": 150}', "--poll-interval", "0.01"])
    assert code == 1  # poison.pdf fails as a document
    assert len(out.read_text().splitlines()) == len(docs)
    job = next(iter(fake_runpod.jobs.values()))
    assert job["input"]["fields"] == ["total", "date"] and job["input"]["options"] == {"dpi": 150}
    assert json.loads(capsys.readouterr().err.strip().splitlines()[-1])["failed"] == 1


def test_s3_prefix_input_lists_documents_for_the_worker(moto_s3, monkeypatch):
    from extraction.batch_client.inputs import s3_documents

    prefix = f"in-{uuid.uuid4().hex[:6]}/"
    client = moto_s3.client()
    for key in ("a.pdf", "sub/b.jpg", "notes.txt", "_manifests/m.json"):
        client.put_object(Bucket=moto_s3.bucket, Key=prefix + key, Body=b"x")
    monkeypatch.delenv("ALLOW_PRIVATE_URLS", raising=False)  # the user's own endpoint needs no opt-in
    docs = s3_documents(f"s3://{moto_s3.bucket}/{prefix}", moto_s3.s3_config)
    b = moto_s3.bucket
    assert [(d.id, d.url) for d in docs] == [(f"{prefix}a.pdf", f"s3://{b}/{prefix}a.pdf"), (f"{prefix}sub/b.jpg", f"s3://{b}/{prefix}sub/b.jpg")]
    assert docs[0].to_job_document() == {"id": f"{prefix}a.pdf", "url": f"s3://{b}/{prefix}a.pdf"}


def test_output_url_lines_carry_the_manifest_entries(fake_runpod, tmp_path, monkeypatch):
    from extraction.batch_client.cli import main

    _files(tmp_path / "docs", ["a.pdf", "b.pdf"])
    monkeypatch.setenv("RUNPOD_API_KEY", "test-key")
    out = tmp_path / "o.jsonl"
    code = main([str(tmp_path / "docs"), "-o", str(out), "--base-url", fake_runpod.url, "--no-progress",
                 "--output-url", "s3://results/run-1/", "--poll-interval", "0.01"])
    assert code == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert {x["output"] for x in lines} == {"s3://results/run-1/"}
    assert all(x["key"].endswith(".json") and x["written"] and x["job_id"] for x in lines)
    assert next(iter(fake_runpod.jobs.values()))["input"]["output"] == {"url": "s3://results/run-1/"}
