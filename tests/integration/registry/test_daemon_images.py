"""Fixture images through the daemon: ``docker push``, a multi-arch index made from a daemon
image, and a custom-config image are all pullable, and the client sees what the daemon saw."""

from __future__ import annotations

import contextlib

import docker
import pytest

from colibri.domain.model import Platform
from colibri.domain.platforms import choose_child
from tests.integration.registry.conftest import ClientFactory, ref
from tests.support.images import ImageFactory
from tests.support.registry import OCI_INDEX, RegistryServer, unique_repository

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def _pull(api: docker.APIClient, name: str, digest: str) -> dict[str, object]:
    api.pull(name, tag=digest)
    image: dict[str, object] = api.inspect_image(f"{name}@{digest}")
    return image


def _remove(api: docker.APIClient, image_id: str) -> None:
    with contextlib.suppress(docker.errors.APIError):
        api.remove_image(image_id, force=True)


def test_docker_push_digest_is_what_head_reports(
    registry: RegistryServer,
    image_factory: ImageFactory,
    docker_api: docker.APIClient,
    make_client: ClientFactory,
) -> None:
    image = image_factory.build()
    repository = unique_repository("pushed")
    digest = registry.push(docker_api, image.ref, repository, "1")
    assert make_client().head(ref(registry.host, repository, "1")).digest == digest


def test_multiarch_index_from_a_daemon_image_pulls_its_amd64_child(
    registry: RegistryServer,
    image_factory: ImageFactory,
    docker_api: docker.APIClient,
    make_client: ClientFactory,
) -> None:
    image = image_factory.build()
    repository = unique_repository("multiarch")
    index = registry.push_multiarch(docker_api, image.ref, repository, "1", attestations=True)
    remote = make_client().fetch(ref(registry.host, repository, "1"))
    assert (remote.digest, remote.media_type) == (index.digest, OCI_INDEX)
    amd64 = choose_child(remote.children, Platform("linux", "amd64"))
    arm64 = choose_child(remote.children, Platform("linux", "aarch64", "v8"))
    assert amd64 is not None and arm64 is not None and amd64.digest != arm64.digest
    name = f"{registry.host}/{repository}"
    pulled = _pull(docker_api, name, index.digest)
    try:
        assert pulled["Id"] == image.id  # the amd64 child carries the daemon's config verbatim
        assert f"{name}@{index.digest}" in pulled["RepoDigests"]  # type: ignore[operator]
    finally:
        docker_api.remove_image(f"{name}@{index.digest}")


def test_custom_config_image_runs_with_its_settings(
    registry: RegistryServer, docker_api: docker.APIClient
) -> None:
    repository = unique_repository("custom")
    settings = {
        "Cmd": ["sleep", "60"],
        "StopSignal": "SIGUSR1",
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1_000_000_000},
        "Labels": {"colibri.test": "custom"},
    }
    pushed = registry.push_image(repository, "1", config=settings)
    name = f"{registry.host}/{repository}"
    pulled = _pull(docker_api, name, pushed.digest)
    try:
        config = pulled["Config"]
        assert isinstance(config, dict)
        assert config["StopSignal"] == "SIGUSR1" and config["Cmd"] == ["sleep", "60"]
        assert config["Healthcheck"]["Test"] == ["CMD", "true"]
        assert config["Labels"] == {"colibri.test": "custom"}
    finally:
        _remove(docker_api, str(pulled["Id"]))
