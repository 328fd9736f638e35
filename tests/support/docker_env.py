"""A real dockerd for the tests, and a tracker that removes exactly what the tests created.

Every container, network and volume a test creates carries the label ``colibri.test.session``
with this session's unique prefix, and every name starts with that prefix; teardown removes only
objects carrying that label (or tracked explicitly), never anything else on the daemon.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors
import pytest

SESSION_LABEL = "colibri.test.session"


def _daemon_error() -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return (
        f"no Docker daemon answers at {host}: run `scripts/setup-system test` "
        "(or `make test`, which does it)"
    )


@pytest.fixture(scope="session")
def session_prefix() -> str:
    """A unique prefix for every name this test session gives to Docker objects."""
    return f"colibri-t{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def docker_api() -> Iterator[docker.APIClient]:
    """The low-level Docker client for test setup (not the thing under test)."""
    try:
        client = docker.APIClient(version="auto", timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"{_daemon_error()} ({exc})", pytrace=False)
    yield client
    client.close()


@pytest.fixture(scope="session")
def docker_client(docker_api: docker.APIClient) -> Iterator[docker.DockerClient]:
    client = docker.DockerClient(version="auto", timeout=120)
    yield client
    client.close()


class DockerTracker:
    """Creates labelled Docker objects for tests and removes them afterwards."""

    def __init__(self, client: docker.DockerClient, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.labels = {SESSION_LABEL: prefix}
        self._names: list[str] = []

    def name(self, stem: str) -> str:
        """A unique, prefixed name for a container, network or volume."""
        unique = f"{self.prefix}-{stem}-{secrets.token_hex(2)}"
        self._names.append(unique)
        return unique

    def run(self, image: str, stem: str = "c", **kwargs: Any) -> Any:
        """``docker run -d`` with our labels; returns the high-level Container."""
        labels = {**self.labels, **kwargs.pop("labels", {})}
        kwargs.setdefault("detach", True)
        return self.client.containers.run(image, name=self.name(stem), labels=labels, **kwargs)

    def create(self, image: str, stem: str = "c", **kwargs: Any) -> Any:
        labels = {**self.labels, **kwargs.pop("labels", {})}
        return self.client.containers.create(image, name=self.name(stem), labels=labels, **kwargs)

    def network(self, stem: str = "net", **kwargs: Any) -> Any:
        labels = {**self.labels, **kwargs.pop("labels", {})}
        return self.client.networks.create(self.name(stem), labels=labels, **kwargs)

    def volume(self, stem: str = "vol", **kwargs: Any) -> Any:
        labels = {**self.labels, **kwargs.pop("labels", {})}
        return self.client.volumes.create(self.name(stem), labels=labels, **kwargs)

    def cleanup(self) -> None:
        """Remove every labelled container, then networks and volumes."""
        label = f"{SESSION_LABEL}={self.prefix}"
        # The low-level listing: the high-level one inspects each container in turn and fails
        # when another process removes one in between (several sessions share the daemon).
        for summary in self.client.api.containers(all=True):
            names = [name.lstrip("/") for name in summary.get("Names") or []]
            ours = (summary.get("Labels") or {}).get(SESSION_LABEL) == self.prefix
            if ours or any(name.startswith(self.prefix) for name in names):
                _quietly(
                    self.client.api.remove_container, container=summary["Id"], force=True, v=True
                )
        for network in self.client.networks.list(filters={"label": label}):
            _quietly(network.remove)
        for volume in self.client.volumes.list(filters={"label": label}):
            _quietly(volume.remove, force=True)
        for volume in self.client.volumes.list(filters={"dangling": True}):
            if (volume.attrs.get("Labels") or {}).get(SESSION_LABEL) == self.prefix:
                _quietly(volume.remove, force=True)


def _quietly(action: Any, **kwargs: Any) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        action(**kwargs)


@pytest.fixture
def docker_tracker(
    docker_client: docker.DockerClient, session_prefix: str
) -> Iterator[DockerTracker]:
    """Per-test tracker: everything it created is removed when the test ends."""
    tracker = DockerTracker(docker_client, session_prefix)
    yield tracker
    tracker.cleanup()


@pytest.fixture(scope="session", autouse=True)
def _session_cleanup(request: pytest.FixtureRequest, session_prefix: str) -> Iterator[None]:
    """Sweep anything of this session left behind (a failed teardown, a crashed update)."""
    yield
    try:
        client = docker.DockerClient(version="auto", timeout=60)
    except docker.errors.DockerException:
        return
    DockerTracker(client, session_prefix).cleanup()
    for image in client.images.list(all=True):
        names = [*(image.tags or []), *(image.attrs.get("RepoDigests") or [])]
        if names and all(session_prefix in name for name in names):
            _quietly(client.images.remove, image=image.id, force=True)
    for image in client.images.list(filters={"label": f"{SESSION_LABEL}={session_prefix}"}):
        _quietly(client.images.remove, image=image.id, force=True)
    client.close()
