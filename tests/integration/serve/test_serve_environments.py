"""Environments as an attacker with ``environments:manage`` would use them, on ``colibri serve``
and the real daemon: registry credentials reach only daemons trusted with them, plain TCP to
another machine and files outside the environment files directory are refused, a daemon's
error page is not repeated, and one environment answering nonsense leaves the others checked."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from colibri.bootstrap.clients import pull_auth_for
from colibri.domain.environments import Endpoint, Environment
from colibri.domain.tokens import NewApiToken, Permission
from colibri.engine import connect
from tests.integration.serve.conftest import Server
from tests.support.registry import free_port
from tests.support.scenario import Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry]

NOW = datetime.now(UTC)


class RecordingProxy:
    """Plain TCP on 127.0.0.1 in front of the local Docker socket, keeping every request's
    ``X-Registry-Auth`` header (``None`` when absent)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.auth: list[str | None] = []
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX)
        upstream.connect("/var/run/docker.sock")
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        buffered = b""
        try:
            while data := client.recv(65536):
                buffered += data
                while b"\r\n\r\n" in buffered:
                    head, _, buffered = buffered.partition(b"\r\n\r\n")
                    self._note(head)
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            for end in (client, upstream):
                with contextlib.suppress(OSError):
                    end.close()

    def _note(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("POST") or "/images/create" not in lines[0]:
            return
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        self.auth.append(headers.get("x-registry-auth"))


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    made = RecordingProxy()
    yield made
    made.close()


def test_registry_credentials_reach_only_a_daemon_trusted_with_them(
    proxy: RecordingProxy, publisher: Publisher, session_prefix: str, tmp_path: Path
) -> None:
    published = publisher.publish(f"{session_prefix}/cred-{secrets.token_hex(3)}", "1")
    files = tmp_path / "files"
    files.mkdir()
    registry = published.repository.split("/")[0]
    own = {"auths": {registry: {"auth": base64.b64encode(b"own:pw").decode()}}}
    (files / "lan.json").write_text(json.dumps(own))
    offered = {"username": "host-user", "password": "host-password"}
    repository, digest = published.repository, published.digest
    sent: dict[str, Any] = {}
    for credentials in ("none", "host", "lan.json"):
        environment = Environment(
            1, "proxied", Endpoint(f"tcp://127.0.0.1:{proxy.port}"), {}, NOW, credentials
        )
        engine = connect(environment.endpoint.url, pull_auth=pull_auth_for(environment, files))
        try:
            engine.pull(repository, digest, auth=offered)
        finally:
            engine.close()
        header = proxy.auth[-1]
        sent[credentials] = None if header is None else json.loads(base64.urlsafe_b64decode(header))
    assert sent["none"] is None, "an untrusted daemon was given the host's credentials"
    assert sent["host"] == offered
    assert sent["lan.json"] == {"username": "own", "password": "pw"}


class NotDocker(BaseHTTPRequestHandler):
    """Answers like some other service: JSON that is not Docker's, and an error page."""

    def do_GET(self) -> None:
        if self.path.endswith("/version"):
            self._send(200, b'{"ApiVersion": "1.43", "Service": "billing"}')
        elif "/containers/json" in self.path:
            self._send(200, b'{"invoices": [1, 2, 3]}')
        else:
            self._send(500, b"<html>INTERNAL-BILLING-PAGE secret=42</html>")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


class ErrorPage(NotDocker):
    def do_GET(self) -> None:
        if self.path.endswith("/version"):
            self._send(200, b'{"ApiVersion": "1.43"}')
        else:
            self._send(500, b"<html>INTERNAL-BILLING-PAGE secret=42</html>")


@contextlib.contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_environments_cannot_be_turned_against_their_neighbours(
    server: Server, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "not-pem.pem").write_text("hello")
    serving = server.start(COLIBRI_ENVIRONMENT_FILES=str(files))
    with server.store() as store:
        secret = store.tokens.create(
            NewApiToken("ops", frozenset({Permission.ENVIRONMENTS_MANAGE, Permission.UPDATES_RUN}))
        ).secret
    ops = httpx.Client(
        base_url=serving.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    )

    def create(name: str, endpoint: dict[str, Any], **more: Any) -> httpx.Response:
        return ops.post("/api/environments", json={"name": name, "endpoint": endpoint, **more})

    granted = create("evil", {"url": "tcp://127.0.0.1:1"}, registry_credentials="host")
    assert granted.status_code == 403 and "admin" in granted.json()["detail"]
    plain = create("far", {"url": "tcp://192.0.2.10:2375"})
    assert plain.status_code == 422 and "plain TCP" in plain.text
    outside = create("peek", {"url": "tcp://127.0.0.1:1", "tls": {"ca": "/etc/passwd"}})
    assert outside.status_code == 422 and "environment files directory" in outside.text
    dash = create("dash", {"url": "ssh://-oProxyCommand=id@host"})
    assert dash.status_code == 422 and "must not start with '-'" in dash.text

    tls = {"url": "tcp://127.0.0.1:1", "tls": {"ca": "missing.pem"}}
    assert create("tls-missing", tls).status_code == 201
    assert create("tls-bad", {**tls, "tls": {"ca": "not-pem.pem"}}).status_code == 201
    with _serving(NotDocker) as odd, _serving(ErrorPage) as page:
        assert create("odd", {"url": f"tcp://127.0.0.1:{odd}"}).status_code == 201
        assert create("page", {"url": f"tcp://127.0.0.1:{page}"}).status_code == 201
        checked = ops.post("/api/check")
    assert checked.status_code == 200, checked.text
    results = {item["environment"]: item for item in checked.json()["environments"]}
    assert results["local"]["error"] is None, results["local"]
    assert "did not answer as a Docker daemon" in results["odd"]["error"]
    assert "INTERNAL-BILLING-PAGE" not in checked.text
    assert "not a Docker API answer" in results["page"]["error"]
    assert results["tls-missing"]["error"] == results["tls-bad"]["error"]
    assert "cannot be used" in results["tls-missing"]["error"]
    assert serving.terminate() == 0
