"""Colibri's own image, built by ``scripts/build-image`` as ``make image`` does, and run the way
the README runs it.

The image is tagged per checkout (``colibri-test:<hash of the checkout's path>``) and kept
after the session, like the Debian base it is built on: the next build of the same sources is
a cache hit of a few seconds, and two checkouts tested at once never share a tag.

``ColibriContainer`` is one running Colibri: the README's ``docker run`` (socket, its group,
a data volume, ``--stop-timeout``) on the host's network, because the test registries listen
on the host's loopback only. ``wait_healthy`` waits for Docker's own HEALTHCHECK verdict.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.support.docker_env import DockerTracker
from tests.support.registry import free_port

ROOT = Path(__file__).resolve().parents[2]
SOCKET = "/var/run/docker.sock"
TOKEN_LINE = re.compile(r"Admin token \(shown only this once, keep it\): (colibri_\S+)")


def image_tag() -> str:
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return f"colibri-test:{checkout}"


def build_image(tag: str) -> float:
    """Run ``scripts/build-image tag``; the seconds it took."""
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-image"), tag],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"scripts/build-image failed:\n{result.stderr[-4000:]}"
    return time.monotonic() - started


@pytest.fixture(scope="session")
def colibri_image() -> str:
    """Colibri's image built from this checkout (kept afterwards as the build cache)."""
    tag = image_tag()
    build_image(tag)
    return tag


def socket_group() -> int:
    return os.stat(SOCKET).st_gid


@dataclass
class ColibriContainer:
    container: Any
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return str(self.container.logs().decode(errors="replace"))

    def admin_token(self) -> str:
        found = TOKEN_LINE.search(self.logs())
        assert found, f"no admin token in the logs:\n{self.logs()}"
        return found.group(1)

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        status = ""
        while time.monotonic() < deadline:
            self.container.reload()
            state = self.container.attrs["State"]
            status = (state.get("Health") or {}).get("Status", "")
            if status == "healthy":
                return
            if not state["Running"]:
                break
            time.sleep(0.5)
        pytest.fail(f"Colibri's container is not healthy ({status}):\n{self.logs()}")

    def exec_json(self, *args: str) -> Any:
        code, (out, err) = self.container.exec_run(
            ["colibri", *args, "--format", "json"], demux=True
        )
        text = (out or b"").decode(errors="replace")
        assert code in (0, 4), f"colibri {' '.join(args)} exited {code}:\n{text}\n{err!r}"
        return json.loads(text)

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.url + path, headers=headers, timeout=10)


def run_colibri(
    tracker: DockerTracker,
    client: docker.DockerClient,
    image: str,
    *,
    data_volume: str,
    labels: Mapping[str, str] | None = None,
    environment: Mapping[str, str] | None = None,
) -> ColibriContainer:
    """The README's ``docker run`` with the docker CLI, on the host network (see above)."""
    port = free_port()
    env = {
        "COLIBRI_API_HOST": "127.0.0.1",
        "COLIBRI_API_PORT": str(port),
        "COLIBRI_CHECK_INTERVAL": "off",
        "COLIBRI_STABILITY_WINDOW": "1",
        **(environment or {}),
    }
    command = ["docker", "run", "-d", "--name", tracker.name("colibri")]
    command += ["--restart", "unless-stopped", "--stop-timeout", "60"]
    command += ["--group-add", str(socket_group()), "-v", f"{SOCKET}:{SOCKET}"]
    command += ["-v", f"{data_volume}:/data", "--network", "host"]
    for key, value in {**tracker.labels, **(labels or {})}.items():
        command += ["--label", f"{key}={value}"]
    for key, value in env.items():
        command += ["-e", f"{key}={value}"]
    result = subprocess.run(
        [*command, image], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"docker run failed: {result.stderr}"
    return ColibriContainer(client.containers.get(result.stdout.strip()), port)


@pytest.fixture
def colibri_data(docker_tracker: DockerTracker) -> Iterator[str]:
    """A fresh named volume for Colibri's /data."""
    yield str(docker_tracker.volume("colibri-data").name)
