"""Real distribution registries (Debian's ``docker-registry``) on 127.0.0.1 for the tests.

``RegistryServer`` runs one registry process on a free port with its own storage and config.
The ``registry`` fixture is the anonymous variant.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def registry_binary() -> str:
    found = shutil.which("docker-registry") or shutil.which("registry")
    if not found:
        pytest.fail(
            "docker-registry is not installed: run `scripts/setup-system test`", pytrace=False
        )
    return found


class RegistryServer:
    """One ``docker-registry`` process on 127.0.0.1."""

    def __init__(self, workdir: Path, *, auth: dict[str, Any] | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.log_path = workdir / "registry.log"
        self._auth = auth
        self._process: subprocess.Popen[bytes] | None = None

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.workdir / "storage")},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": self.host, "headers": {"X-Content-Type-Options": ["nosniff"]}},
        }
        if self._auth:
            config["auth"] = self._auth
        return config

    def start(self) -> None:
        config_path = self.workdir / "config.yml"
        # JSON is YAML: no YAML library needed.
        config_path.write_text(json.dumps(self.config()))
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603
            [registry_binary(), "serve", str(config_path)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/v2/", timeout=1)
                return
            except httpx.HTTPError:
                if self._process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"registry did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def ref(self, repository: str, tag: str = "latest") -> str:
        return f"{self.host}/{repository}:{tag}"

    def push(self, api: docker.APIClient, image: str, repository: str, tag: str,
             auth_config: dict[str, str] | None = None) -> str:
        """Tag ``image`` as ``<host>/<repository>:<tag>``, push it, return the pushed digest."""
        target = f"{self.host}/{repository}"
        api.tag(image, target, tag)
        digest = ""
        for event in api.push(target, tag=tag, stream=True, decode=True, auth_config=auth_config):
            if "error" in event:
                raise AssertionError(f"push of {target}:{tag} failed: {event['error']}")
            aux = event.get("aux") or {}
            digest = aux.get("Digest", digest)
        assert digest, f"push of {target}:{tag} reported no digest"
        return str(digest)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """An anonymous registry shared by the session (tests use their own repositories)."""
    server = RegistryServer(tmp_path_factory.mktemp("registry"))
    server.start()
    yield server
    server.stop()
