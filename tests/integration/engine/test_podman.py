"""What only podman does, on a real podman service: its pods, its health checks without
systemd, its pulls from a plain-HTTP loopback registry."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from colibri.engine.client import connect
from colibri.engine.podman import PodmanEngine
from tests.support.docker_env import SESSION_LABEL
from tests.support.engines import PodmanService
from tests.support.images import SERVE_FOREVER
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = pytest.mark.docker


@pytest.fixture
def podman(podman_service: PodmanService) -> Iterator[PodmanEngine]:
    engine = connect(podman_service.host)
    assert isinstance(engine, PodmanEngine)
    yield engine
    engine.close()


@pytest.fixture
def published(
    publisher: Publisher, session_prefix: str, podman_service: PodmanService
) -> Published:
    """An image in the session registry, not yet on podman."""
    return publisher.publish(f"{session_prefix}/podman-{secrets.token_hex(2)}", "1")


def _run(service: PodmanService, prefix: str, *args: str) -> str:
    name = f"{prefix}-p-{secrets.token_hex(2)}"
    service.cli("run", "-d", "--name", name, "--label", f"{SESSION_LABEL}={prefix}", *args)
    return name


def test_a_digest_is_pulled_from_a_plain_http_loopback_registry(
    podman: PodmanEngine, published: Published
) -> None:
    podman.pull(published.repository, published.digest)
    image = podman.inspect_image(f"{published.repository}@{published.digest}")
    assert image is not None and published.digest in image.digests


def test_health_checks_run_without_systemd(
    podman: PodmanEngine,
    podman_service: PodmanService,
    published: Published,
    session_prefix: str,
) -> None:
    """Podman's timers need systemd: without the adapter the status stays ``starting``."""
    podman.pull(published.repository, published.digest)
    name = _run(
        podman_service,
        session_prefix,
        "--health-cmd",
        "test -e /colibri-marker",
        "--health-interval",
        "1s",
        f"{published.repository}@{published.digest}",
        *SERVE_FOREVER,
    )
    raw_status = podman_service.cli("inspect", "--format", "{{.State.Health.Status}}", name)
    assert raw_status == "starting"
    assert podman.inspect_container(name)["State"]["Health"]["Status"] == "healthy"


def test_a_container_in_a_pod_is_skipped_naming_the_pod_and_the_infra_is_not_listed(
    podman: PodmanEngine,
    podman_service: PodmanService,
    published: Published,
    session_prefix: str,
    colibri: ColibriCli,
) -> None:
    podman.pull(published.repository, published.digest)
    pod = f"{session_prefix}-pod-{secrets.token_hex(2)}"
    podman_service.cli(
        "pod", "create", "--name", pod, "--label", f"{SESSION_LABEL}={session_prefix}"
    )
    try:
        _update_in_pod(podman, podman_service, published, session_prefix, colibri, pod)
    finally:  # a pod's infra container goes with its pod only
        podman_service.cli("pod", "rm", "-f", pod, check=False)


def _update_in_pod(
    podman: PodmanEngine,
    podman_service: PodmanService,
    published: Published,
    session_prefix: str,
    colibri: ColibriCli,
    pod: str,
) -> None:
    name = _run(
        podman_service,
        session_prefix,
        "--pod",
        pod,
        "--label",
        "colibri.enable=true",
        f"{published.repository}@{published.digest}",
        *SERVE_FOREVER,
    )
    listed = podman.list_containers()
    assert [c.pod for c in listed if c.name == name] == [pod]
    assert not [c for c in listed if c.name.endswith("-infra") and c.pod == pod]
    [outcome] = colibri.json("update", name, DOCKER_HOST=podman_service.host)
    assert outcome["status"] == "skipped"
    assert outcome["reason"] == (
        f"in the podman pod {pod}: it shares the pod's namespaces (update the pod)"
    )
