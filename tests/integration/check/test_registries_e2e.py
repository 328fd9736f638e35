"""``colibri check`` and ``update`` against multi-arch images and authenticated registries,
end to end: the daemon pulls what was checked, with the credentials from Docker's config."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import docker
import pytest

from tests.support.docker_env import DockerTracker
from tests.support.images import ImageFactory
from tests.support.registry import (
    BASIC_PASSWORD,
    BASIC_USER,
    TOKEN_PASSWORD,
    TOKEN_USER,
    RegistryServer,
)
from tests.support.scenario import ColibriCli

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}


def test_multi_arch_images_are_compared_per_platform(
    registry: RegistryServer,
    image_factory: ImageFactory,
    docker_api: docker.APIClient,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    session_prefix: str,
) -> None:
    repo = f"{session_prefix}/multi-{secrets.token_hex(2)}"
    first = registry.push_multiarch(docker_api, image_factory.build().id, repo, "1")
    docker_api.pull(f"{registry.host}/{repo}", tag="1")
    container = docker_tracker.run(f"{registry.host}/{repo}:1", "multi", labels=OPT_IN)

    [result] = colibri.json("check", container.name)
    assert result["status"] == "up_to_date"
    assert result["current_digest"] == first.digest  # the daemon recorded the index digest

    amd64, _ = first.children
    other_arm = registry.push_image(
        repo, None, architecture="arm64", variant="v8", oci=True, runnable=False
    )
    republished = registry.push_index(repo, "1", [amd64, other_arm])
    [result] = colibri.json("check", container.name)
    assert result["status"] == "up_to_date", result
    assert result["remote_digest"] == republished.digest
    assert "platform unchanged" in result["reason"]

    newer = image_factory.build()
    latest = registry.push_multiarch(docker_api, newer.id, repo, "1")
    [result] = colibri.json("check", container.name, expect=(3,))
    assert result["status"] == "update_available"
    assert result["remote_digest"] == latest.digest
    assert result["expected_digest"] == latest.children[0].digest

    [outcome] = colibri.json("update", container.name)
    assert outcome["status"] == "updated", outcome
    replaced = docker_api.inspect_container(container.name)
    assert replaced["Config"]["Image"] == f"{registry.host}/{repo}:1"  # as the user wrote it
    code = docker_api.exec_create(replaced["Id"], ["cat", "/colibri-marker"])
    assert docker_api.exec_start(code).decode().strip() == newer.marker


def write_docker_config(colibri: ColibriCli, host: str, user: str, password: str) -> None:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = {"auths": {host: {"auth": token}}}
    (Path(colibri.docker_config) / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("variant", "user", "password"),
    [
        ("basic_registry", BASIC_USER, BASIC_PASSWORD),
        ("token_registry", TOKEN_USER, TOKEN_PASSWORD),
    ],
)
def test_updates_through_an_authenticated_registry_use_dockers_credentials(
    variant: str,
    user: str,
    password: str,
    request: pytest.FixtureRequest,
    image_factory: ImageFactory,
    docker_api: docker.APIClient,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    session_prefix: str,
) -> None:
    server: RegistryServer = request.getfixturevalue(variant)
    auth = {"username": user, "password": password}
    repo = f"{session_prefix}/private-{secrets.token_hex(2)}"
    v1 = image_factory.build()
    server.push(docker_api, v1.id, repo, "1", auth_config=auth)
    container = docker_tracker.run(f"{server.host}/{repo}:1", "private", labels=OPT_IN)
    v2 = image_factory.build()
    server.push(docker_api, v2.id, repo, "1", auth_config=auth)
    docker_api.tag(v1.id, f"{server.host}/{repo}", "1")
    docker_api.remove_image(v2.ref)  # the daemon must pull v2, with credentials

    [anonymous] = colibri.json("check", container.name, expect=(4,))
    assert anonymous["status"] == "error"
    assert anonymous["error_kind"] in {"auth_required", "auth"}

    write_docker_config(colibri, server.host, user, password)
    [result] = colibri.json("check", container.name, expect=(3,))
    assert result["status"] == "update_available"
    [outcome] = colibri.json("update", container.name)
    assert outcome["status"] == "updated", outcome
    replaced = docker_api.inspect_container(container.name)
    exec_id = docker_api.exec_create(replaced["Id"], ["cat", "/colibri-marker"])
    assert docker_api.exec_start(exec_id).decode().strip() == v2.marker
