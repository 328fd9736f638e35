"""The engine under test: the real dockerd, or podman's Docker-compatible API service.

``podman_service`` starts ``podman system service --time=0`` (Debian's podman 4.3, rootful)
on a socket of this session's own, with its own ``containers.conf`` and ``registries.conf``
(the session's plain-HTTP registry listed as insecure, as an operator lists theirs). The
``engine`` fixture is parametrised over both, so one test runs on each; a test module opts in
by asking for ``engine``-based fixtures (``engine_tracker``, ``engine_publisher``,
``engine_cli``) instead of the Docker-only ones.

Images are built and pushed by dockerd in both cases (upstream's side), and pulled into the
engine under test from the registry (the user's side), as a user's host would get them.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
import requests

from tests.support.docker_env import SESSION_LABEL, DockerTracker
from tests.support.images import ImageFactory
from tests.support.registry import RegistryServer
from tests.support.scenario import ColibriCli, Publisher

ENGINES = ("docker", "podman")
DOCKER_SOCKET = "unix:///var/run/docker.sock"


@dataclass
class PodmanService:
    """One ``podman system service`` process and the environment its CLI needs."""

    host: str
    env: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str, check: bool = True) -> str:
        """Run the podman CLI with this service's configuration (same storage, same rules)."""
        done = subprocess.run(
            ["podman", *args], capture_output=True, text=True, check=False, env=self.env
        )
        if check:
            assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()


@dataclass
class EngineUnderTest:
    """Which engine, how to reach it, and SDK clients on it for test setup."""

    kind: str
    host: str
    api: docker.APIClient
    client: docker.DockerClient
    podman: PodmanService | None = None

    @property
    def is_podman(self) -> bool:
        return self.kind == "podman"


def _ulimits() -> list[str]:
    """Podman gives containers nofile/nproc limits of 1048576+ unless told otherwise, which a
    host with lower hard limits (a CI container) refuses: stay under this process's own."""
    limits = []
    for name, which in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        hard = resource.getrlimit(which)[1]
        value = 16384 if hard == resource.RLIM_INFINITY else min(16384, hard - 1)
        limits.append(f'"{name}={value}:{value}"')
    return limits


def _write_config(workdir: Path, registry: RegistryServer) -> dict[str, str]:
    containers_conf = workdir / "containers.conf"
    containers_conf.write_text(
        "[containers]\n"
        f"default_ulimits = [{', '.join(_ulimits())}]\n"
        "[network]\n"
        'network_backend = "netavark"\n'
        "[engine]\n"
        'events_logger = "file"\n'
    )
    registries_conf = workdir / "registries.conf"
    registries_conf.write_text(
        "unqualified-search-registries = []\n"
        f'[[registry]]\nlocation = "{registry.host}"\ninsecure = true\n'
    )
    return {
        **os.environ,
        "CONTAINERS_CONF": str(containers_conf),
        "CONTAINERS_REGISTRIES_CONF": str(registries_conf),
    }


@pytest.fixture(scope="session")
def podman_service(
    tmp_path_factory: pytest.TempPathFactory, registry: RegistryServer, session_prefix: str
) -> Iterator[PodmanService]:
    """Podman's API service on this session's own socket. At the end, what this session left
    in podman's storage (containers, pods, networks, volumes, images) is removed."""
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed: run `scripts/setup-system test`", pytrace=False)
    workdir = tmp_path_factory.mktemp("podman")
    env = _write_config(workdir, registry)
    socket = workdir / "podman.sock"
    log = (workdir / "service.log").open("wb")
    process = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    service = PodmanService(f"unix://{socket}", env)
    try:
        _wait_for(service, process, workdir / "service.log")
        yield service
    finally:
        _sweep(service, session_prefix)
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        if process.poll() is None:
            process.kill()
        log.close()


def _wait_for(service: PodmanService, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"podman system service exited: {log.read_text()[-2000:]}", pytrace=False)
        try:
            with docker.APIClient(base_url=service.host, version="1.41", timeout=5) as api:
                api.ping()
                return
        except (docker.errors.DockerException, requests.exceptions.ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"podman system service did not answer: {log.read_text()[-2000:]}", pytrace=False)


@pytest.fixture(scope="session", params=ENGINES)
def engine(
    request: pytest.FixtureRequest, docker_api: docker.APIClient
) -> Iterator[EngineUnderTest]:
    """The engine a test runs against: each test asking for it runs on dockerd and on podman."""
    kind = str(request.param)
    podman: PodmanService | None = None
    host = DOCKER_SOCKET
    if kind == "podman":
        podman = request.getfixturevalue("podman_service")
        host = podman.host
    api = docker.APIClient(base_url=host, version="1.41", timeout=120)
    client = docker.DockerClient(base_url=host, version="1.41", timeout=120)
    yield EngineUnderTest(kind, host, api, client, podman)
    client.close()
    api.close()


@pytest.fixture
def engine_tracker(engine: EngineUnderTest, session_prefix: str) -> Iterator[DockerTracker]:
    """Per-test tracker on the engine under test."""
    tracker = DockerTracker(engine.client, session_prefix)
    yield tracker
    tracker.cleanup()


@pytest.fixture
def engine_publisher(
    engine: EngineUnderTest,
    docker_api: docker.APIClient,
    image_factory: ImageFactory,
    registry: RegistryServer,
) -> Publisher:
    """Publishes with dockerd, pulls into the engine under test."""
    return Publisher(docker_api, image_factory, registry, host_api=engine.api)


@pytest.fixture
def engine_cli(engine: EngineUnderTest, tmp_path: Path) -> ColibriCli:
    """``colibri`` pointed at the engine under test (``DOCKER_HOST``)."""
    cli = ColibriCli(tmp_path)
    cli.env["DOCKER_HOST"] = engine.host
    return cli


def _sweep(service: PodmanService, prefix: str) -> None:
    label = f"label={SESSION_LABEL}={prefix}"
    service.cli("pod", "rm", "-f", "--filter", label, check=False)
    service.cli("rm", "-f", "--filter", label, check=False)
    for name in service.cli("ps", "-a", "--format", "{{.Names}}", check=False).split():
        if name.startswith(prefix):
            service.cli("rm", "-f", name, check=False)
    service.cli("network", "prune", "-f", "--filter", label, check=False)
    service.cli("volume", "prune", "-f", "--filter", label, check=False)
    for line in service.cli(
        "images", "--format", "{{.ID}} {{.Repository}}", check=False
    ).splitlines():
        image_id, _, repository = line.partition(" ")
        if prefix in repository:
            service.cli("rmi", "-f", image_id, check=False)
