"""A tiny stand-in for the Hugging Face hub on 127.0.0.1, enough for ``snapshot_download``.

It serves the three routes the client uses: repo info (``/api/models/{repo}/revision/{rev}``),
the recursive tree listing (``/api/models/{repo}/tree/{rev}``) and file downloads
(``/{repo}/resolve/{rev}/{path}``, HEAD and GET). It counts file downloads so tests can
check that racing workers fetched a model only once, and can slow file bodies down so a
download can be interrupted half-way.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.support.paths import ROOT


class FakeRepo:
    def __init__(self, repo_id: str, files: dict[str, bytes], lfs: set[str] | None = None) -> None:
        self.repo_id = repo_id
        self.files = files
        self.lfs = lfs or set()
        self.commit = hashlib.sha1(repr(sorted((k, v) for k, v in files.items())).encode()).hexdigest()

    def git_oid(self, path: str) -> str:
        data = self.files[path]
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    def sha256(self, path: str) -> str:
        return hashlib.sha256(self.files[path]).hexdigest()


class HubServer:
    """Run with ``with HubServer([...]) as hub:``; ``hub.url`` goes into ``HF_ENDPOINT``."""

    def __init__(self, repos: list[FakeRepo], body_delay_s: float = 0.0) -> None:
        self.repos = {r.repo_id: r for r in repos}
        self.body_delay_s = body_delay_s
        self.downloads: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_HEAD(self):
                server._serve(self, head=True)

            def do_GET(self):
                server._serve(self, head=False)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> "HubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # ----------------------------------------------------------------- routing
    def _find_repo(self, parts: list[str]) -> tuple[FakeRepo | None, list[str]]:
        if len(parts) >= 2 and f"{parts[0]}/{parts[1]}" in self.repos:
            return self.repos[f"{parts[0]}/{parts[1]}"], parts[2:]
        return None, parts

    def _serve(self, request: BaseHTTPRequestHandler, head: bool) -> None:
        path = urlsplit(request.path).path
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] == ["api", "models"]:
            repo, rest = self._find_repo(parts[2:])
            if repo is None:
                return self._send(request, 404, b'{"error": "Repository not found"}', head, {"X-Error-Code": "RepoNotFound"})
            if rest[:1] == ["revision"]:
                body = {"id": repo.repo_id, "modelId": repo.repo_id, "sha": repo.commit, "private": False,
                        "siblings": [{"rfilename": p} for p in sorted(repo.files)]}
                return self._send_json(request, body, head)
            if rest[:1] == ["tree"]:
                entries = []
                for name in sorted(repo.files):
                    entry = {"type": "file", "oid": repo.git_oid(name), "size": len(repo.files[name]), "path": name}
                    if name in repo.lfs:
                        entry["lfs"] = {"oid": repo.sha256(name), "size": len(repo.files[name]), "pointerSize": 134}
                    entries.append(entry)
                return self._send_json(request, entries, head)
            return self._send(request, 404, b"{}", head)
        repo, rest = self._find_repo(parts)
        if repo is not None and rest[:1] == ["resolve"] and len(rest) >= 3:
            name = "/".join(rest[2:])
            if name not in repo.files:
                return self._send(request, 404, b"{}", head, {"X-Error-Code": "EntryNotFound"})
            data = repo.files[name]
            etag = repo.sha256(name) if name in repo.lfs else repo.git_oid(name)
            headers = {"X-Repo-Commit": repo.commit, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream"}
            if not head:
                with self._lock:
                    self.downloads[f"{repo.repo_id}/{name}"] += 1
            return self._send(request, 200, data, head, headers, slow=not head)
        return self._send(request, 404, b"{}", head)

    def _send_json(self, request, body, head) -> None:
        self._send(request, 200, json.dumps(body).encode(), head, {"Content-Type": "application/json"})

    def _send(self, request, status: int, data: bytes, head: bool, headers: dict | None = None, slow: bool = False) -> None:
        request.send_response(status)
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if head:
            return
        if slow and self.body_delay_s:
            half = len(data) // 2
            request.wfile.write(data[:half])
            request.wfile.flush()
            time.sleep(self.body_delay_s)
            request.wfile.write(data[half:])
        else:
            request.wfile.write(data)


def hub_process_env(tmp_path: Path, hub_url: str, **extra: str) -> dict[str, str]:
    """Environment for a child process that fetches models from ``hub_url`` into ``tmp_path`` (nothing from the real caches)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_", "HF_", "TILT_"))}
    env.update(
        MODEL_CACHE_DIR=str(tmp_path / "models"),
        RUNPOD_VOLUME=str(tmp_path / "volume"),
        HF_HOME=str(tmp_path / "hf-home"),
        HOME=str(tmp_path),
        HF_ENDPOINT=hub_url,
        TILT_MODEL_ID="acme/race",
        PYTHONPATH=str(ROOT),
        HF_HUB_DISABLE_PROGRESS_BARS="1",
    )
    env.update(extra)
    return env
