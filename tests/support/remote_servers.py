"""Local stand-ins for remote storage used by the remote-document tests.

``MotoS3`` runs moto's standalone S3 server in a subprocess on 127.0.0.1 with IAM auth
enforced (after the set-up calls), so wrong credentials really fail. ``DocServer`` is a
small HTTP server whose paths misbehave on purpose (redirects, huge and slow bodies).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.servers import free_port, stop_process, wait_until_serving

_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)


def self_signed_certificate(folder: Path, host: str = "localhost") -> tuple[str, str]:
    """A certificate for ``host`` (and its key), written as PEM files; the certificate doubles as the CA bundle."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@dataclass
class MotoS3:
    endpoint: str
    access_id: str
    secret: str
    bucket: str
    process: subprocess.Popen = field(repr=False)

    @property
    def s3_config(self) -> dict[str, str]:
        return {"endpointUrl": self.endpoint, "accessId": self.access_id, "accessSecret": self.secret, "bucketName": self.bucket}

    def client(self, secret: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=self.access_id, aws_secret_access_key=secret or self.secret,
            config=Config(signature_version="s3v4"),
        )

    @classmethod
    def start(cls, bucket: str = "docs-bucket") -> "MotoS3":
        import boto3

        port = free_port()
        # The first three requests (IAM set-up) run unauthenticated; every later one is checked.
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{endpoint}/moto-api/", process, timeout_s=30)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="extraction-tests")
        key = iam.create_access_key(UserName="extraction-tests")["AccessKey"]
        iam.put_user_policy(UserName="extraction-tests", PolicyName="s3-all", PolicyDocument=_POLICY)
        server = cls(endpoint, key["AccessKeyId"], key["SecretAccessKey"], bucket, process)
        server.client().create_bucket(Bucket=bucket)
        return server

    def stop(self) -> None:
        stop_process(self.process)


class DocServer:
    """HTTP server on 127.0.0.1 with scripted paths; records hits and bytes sent per path."""

    def __init__(self, body: bytes = b"%PDF-1.4 test document", tls: "tuple[str, str] | None" = None) -> None:
        self.body = body
        self.hits: dict[str, int] = {}
        self.sent: dict[str, int] = {}
        self.flaky_failures = 2
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                path = self.path.split("?", 1)[0]
                outer.hits[path] = outer.hits.get(path, 0) + 1
                getattr(outer, "route_" + path.strip("/").replace("-", "_"), outer.route_missing)(self, path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # (certificate file, key file)
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- routes ---------------------------------------------------------------------------

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def route_missing(self, h, path):
        self._send(h, 404, b"no such document")

    def route_doc(self, h, path):
        self._send(h, 200, self.body, {"Content-Type": "application/pdf"})

    def route_forbidden(self, h, path):
        self._send(h, 403, b"<Error><Code>AccessDenied</Code></Error>")

    def route_redirect(self, h, path):
        self._send(h, 302, headers={"Location": "/redirect-2"})

    def route_redirect_2(self, h, path):
        self._send(h, 301, headers={"Location": self.url("/doc")})

    def route_loop(self, h, path):
        self._send(h, 302, headers={"Location": "/loop"})

    def route_to_private(self, h, path):
        # Another loopback address: the server does not listen there, so a request that got
        # past the guard would fail with a connection error, not url_not_allowed.
        self._send(h, 302, headers={"Location": f"http://127.0.0.2:{self.port}/doc"})

    def route_to_metadata(self, h, path):
        self._send(h, 302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    def route_flaky(self, h, path):
        if self.hits[path] <= self.flaky_failures:
            self._send(h, 503, b"try again", {"Retry-After": "0"})
        else:
            self._send(h, 200, self.body)

    def route_big_declared(self, h, path):
        h.send_response(200)
        h.send_header("Content-Length", str(1024 * 1024 * 1024))
        h.end_headers()
        self.sent[path] = 0
        chunk = b"x" * 65536
        try:
            for _ in range(1024):
                h.wfile.write(chunk)
                self.sent[path] += len(chunk)
        except OSError:
            pass

    def route_big(self, h, path):
        """64 MiB, chunked, no Content-Length: only the byte count can stop the client."""
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        self.sent[path] = 0
        chunk = b"y" * 65536
        try:
            for _ in range(1024):
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.sent[path] += len(chunk)
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        h.close_connection = True

    def route_slow(self, h, path):
        h.send_response(200)
        h.send_header("Content-Length", str(len(self.body)))
        h.end_headers()
        h.wfile.flush()
        time.sleep(3)
        try:
            h.wfile.write(self.body)
        except OSError:
            pass


# -- fixtures (imported by the test modules that use them) ------------------------------------

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def moto_s3():
    """moto's S3 server on 127.0.0.1 with credentials enforced; stopped after the test run."""
    pytest.importorskip("moto.server")
    pytest.importorskip("boto3")
    server = MotoS3.start()
    yield server
    server.stop()


@pytest.fixture()
def doc_server():
    server = DocServer()
    yield server
    server.stop()
