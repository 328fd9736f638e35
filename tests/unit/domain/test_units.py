"""Unit containers and podman's reference rules (pure)."""

from __future__ import annotations

import pytest

from colibri.domain.model import Container
from colibri.domain.policy import select_containers
from colibri.domain.units import podman_reference_problem, unit_of, unit_skip_reason

UNIT = {"PODMAN_SYSTEMD_UNIT": "container-web.service", "io.containers.autoupdate": "registry"}


def test_a_unit_container_is_skipped_on_docker_and_selected_on_podman() -> None:
    web = Container("w1", "web", "registry.test/app:1", "sha256:a", UNIT)
    on_docker = select_containers([web])
    assert on_docker.containers == ()
    assert on_docker.excluded["web"] == unit_skip_reason(UNIT, "docker")
    assert "container-web.service" in on_docker.excluded["web"]
    assert select_containers([web], engine="podman").containers == (web,)
    assert unit_of(UNIT) == "container-web.service" and unit_of({}) is None


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("registry.test/app:1", None),
        ("localhost/app:1", None),
        ("127.0.0.1:5000/app:1", None),
        ("docker://quay.io/podman/stable:latest", None),
        ("app:1", 'auto updates require fully-qualified image reference: "app:1"'),
        ("library/app:1", 'auto updates require fully-qualified image reference: "library/app:1"'),
        (
            "registry.test/app",
            'auto updates require fully-qualified image references (no tag): "registry.test/app"',
        ),
        (
            "registry.test/app:1@sha256:" + "a" * 64,
            "auto updates require fully-qualified image references without digest: "
            f'"registry.test/app:1@sha256:{"a" * 64}"',
        ),
    ],
)
def test_podman_registry_policy_needs_a_fully_qualified_tag(
    reference: str, problem: str | None
) -> None:
    assert podman_reference_problem({"io.containers.autoupdate": "registry"}, reference) == problem


def test_colibri_labels_stay_lenient_and_such_a_container_checks_as_an_error() -> None:
    lenient = {"io.containers.autoupdate": "registry", "colibri.enable": "true"}
    assert podman_reference_problem(lenient, "app:1") is None
    assert podman_reference_problem({"io.containers.autoupdate": "disabled"}, "app") is None
    strict = Container("a1", "short", "app:1", "sha256:a", {"io.containers.autoupdate": "image"})
    [(container, why)] = select_containers([strict]).invalid
    assert container is strict and why.startswith("auto updates require fully-qualified")
