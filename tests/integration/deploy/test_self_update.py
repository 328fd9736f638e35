"""Colibri updating itself: its image pushed as v1 to a local registry and run with
``colibri.self-update=true``; v2 pushed under the same tag; an update started inside it hands
the swap to a helper from v2, after which Colibri runs v2 on the same data, verified, with no
old copy left. A v2 that cannot start leaves v1 running."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker
import httpx
import pytest

from colibri.domain.self_update import HELPER_LABEL
from tests.support.colibri_image import ColibriContainer, run_colibri
from tests.support.docker_env import SESSION_LABEL, DockerTracker
from tests.support.registry import RegistryServer

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow, pytest.mark.timeout(900)]

SELF_UPDATE = {"colibri.enable": "true", "colibri.self-update": "true"}


@dataclass(frozen=True)
class Version:
    image_id: str
    digest: str


Release = Callable[..., Version]


@pytest.fixture
def release(
    colibri_image: str,
    registry: RegistryServer,
    docker_client: docker.DockerClient,
    session_prefix: str,
    request: pytest.FixtureRequest,
) -> tuple[str, Release]:
    """``release(name, *lines)`` builds Colibri's image plus ``lines`` and pushes it as the one
    tag the container runs; returns what was pushed. The reference comes first. One repository
    for the session (its layers are pushed once), a tag per test."""
    repository = f"{session_prefix}/colibri"
    tag = request.node.name[-20:].replace("_", "-").strip("-")

    def push(version: str, *lines: str) -> Version:
        dockerfile = "\n".join(
            [f"FROM {colibri_image}", f'LABEL {SESSION_LABEL}="{session_prefix}"', *lines]
        )
        dockerfile += f'\nLABEL colibri.test.version="{version}"\n'
        built, _ = docker_client.images.build(
            fileobj=io.BytesIO(dockerfile.encode()),
            tag=f"{session_prefix}-build/colibri:{tag}-{version}",
            rm=True,
        )
        digest = registry.push(docker_client.api, str(built.id), repository, tag)
        return Version(str(built.id), digest)

    return registry.ref(repository, tag), push


def started_v1(
    ref: str,
    push: Release,
    tracker: DockerTracker,
    client: docker.DockerClient,
    data_volume: str,
) -> tuple[ColibriContainer, Version]:
    v1 = push("v1")
    client.api.pull(ref)  # as users do: the tag, with its registry digest
    colibri = run_colibri(
        tracker,
        client,
        ref,
        data_volume=data_volume,
        labels=SELF_UPDATE,
        environment={"COLIBRI_HEALTH_TIMEOUT": "90"},
    )
    colibri.wait_healthy()
    return colibri, v1


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    pytest.fail(f"not within {timeout} s: {what}")


def helpers(client: docker.DockerClient) -> list[str]:
    """The helpers' names (one listing: a helper removing itself meanwhile is no error)."""
    listed = client.api.containers(all=True, filters={"label": HELPER_LABEL})
    return [str(c["Names"][0]) for c in listed]


def named_like(client: docker.DockerClient, name: str) -> list[str]:
    """Every container whose name starts with ``name``: the container and any copy of it."""
    listed = client.api.containers(all=True, filters={"name": f"^/{name}"})
    return sorted(str(c["Names"][0]).lstrip("/") for c in listed)


def test_colibri_replaces_itself_with_v2_and_keeps_its_data(
    release: tuple[str, Release],
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    colibri_data: str,
) -> None:
    ref, push = release
    old, v1 = started_v1(ref, push, docker_tracker, docker_client, colibri_data)
    token = old.admin_token()
    name = old.container.name
    v2 = push("v2")

    # the service's path: an auto-update setting for its own container, run now
    api = httpx.Client(base_url=old.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    [local] = api.get("/api/environments").json()
    setting = api.post(
        "/api/auto-updates",
        json={"environment_id": local["id"], "container_name": name, "schedule_type": "weekly"},
    )
    assert setting.status_code == 201, setting.text
    started = api.post(f"/api/auto-updates/{setting.json()['id']}/run")
    assert started.status_code == 202, started.text
    handed_run = started.json()["run_id"]

    def runs_v2() -> bool:
        try:
            current = docker_client.containers.get(name)
        except docker.errors.NotFound:
            return False
        health = (current.attrs["State"].get("Health") or {}).get("Status")
        on_v2 = current.attrs["Image"] == v2.image_id and health == "healthy"
        return on_v2 and not helpers(docker_client)

    wait_for(runs_v2, f"{name} healthy on v2, the helper gone")
    new = ColibriContainer(docker_client.containers.get(name), old.port)
    assert new.container.id != old.container.id
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(old.container.id)
    # same data volume, same settings, same labels
    [mount] = [m for m in new.container.attrs["Mounts"] if m["Destination"] == "/data"]
    assert mount["Name"] == colibri_data
    assert f"COLIBRI_API_PORT={old.port}" in new.container.attrs["Config"]["Env"]
    assert new.container.labels["colibri.self-update"] == "true"
    # the data is intact: the token made by v1 still opens the API of v2, the setting is
    # there, and the history has the hand-off and the helper's update, journaled like any
    setting_now = new.get(f"/api/auto-updates/{setting.json()['id']}", token)
    assert setting_now.status_code == 200, setting_now.text
    assert setting_now.json()["container_name"] == name
    runs = new.get(f"/api/runs?container={name}", token)
    assert runs.status_code == 200, runs.text
    by_id = {r["id"]: r for r in runs.json()}
    handed = by_id.pop(handed_run)
    assert handed["status"] == "skipped" and "handed to helper" in handed["reason"], handed
    [run] = by_id.values()
    assert run["status"] == "updated", run
    assert run["new_digest"] == v2.digest and run["old_digest"] == v1.digest
    # no old copy: one Colibri container, no update copies, no helper
    assert named_like(docker_client, name) == [name]
    assert not helpers(docker_client)


def test_a_v2_that_cannot_start_leaves_v1_running(
    release: tuple[str, Release],
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    colibri_data: str,
) -> None:
    ref, push = release
    old, v1 = started_v1(ref, push, docker_tracker, docker_client, colibri_data)
    name = old.container.name
    push("broken", 'CMD ["serve", "--no-such-option"]')

    [outcome] = old.exec_json("update", name)
    assert "handed to helper container" in outcome["reason"], outcome

    wait_for(lambda: not helpers(docker_client), "the helper finished")
    current = docker_client.containers.get(name)
    assert current.id == old.container.id
    assert current.attrs["Image"] == v1.image_id
    ColibriContainer(current, old.port).wait_healthy()
    assert named_like(docker_client, name) == [name]
    token = old.admin_token()
    runs = old.get("/api/runs", token).json()
    [run] = [r for r in runs if r["container"] == name]
    assert run["status"] == "rolled_back", run
