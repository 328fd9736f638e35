"""Containers that share the updated one's network namespace are recreated in the new one's;
containers that declare ``colibri.depends-on`` are restarted; a rollback or a crash leaves
them as they were."""

from __future__ import annotations

import secrets

import docker
import pytest

from tests.support.docker_env import DockerTracker
from tests.support.scenario import ColibriCli, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}


@pytest.fixture
def world(publisher: Publisher, docker_tracker: DockerTracker, session_prefix: str, request):
    """Main container on v1 (v2 upstream, broken when the test is parametrised so), a
    namespace sharer and a declared dependent."""
    broken = getattr(request, "param", False)
    repo = f"{session_prefix}/deps-{secrets.token_hex(2)}"
    v1, _ = publisher.upstream_moved(repo, **({"cmd": ["false"]} if broken else {}))
    main = docker_tracker.run(v1.ref, "main", labels=OPT_IN)
    sharer = docker_tracker.run(v1.ref, "sharer", network_mode=f"container:{main.id}")
    declared = docker_tracker.run(v1.ref, "declared", labels={"colibri.depends-on": main.name})
    return {"main": main, "sharer": sharer, "declared": declared}


def state(client: docker.DockerClient, name: str) -> docker.models.containers.Container:
    container = client.containers.get(name)
    container.reload()
    return container


def test_dependents_follow_the_updated_container(
    world: dict[str, object], colibri: ColibriCli, docker_client: docker.DockerClient
) -> None:
    main, sharer, declared = world["main"], world["sharer"], world["declared"]
    started_before = state(docker_client, declared.name).attrs["State"]["StartedAt"]
    [outcome] = colibri.json("update", main.name)
    assert outcome["status"] == "updated", outcome
    new_main = state(docker_client, main.name)
    new_sharer = state(docker_client, sharer.name)
    assert new_sharer.id != sharer.id
    assert new_sharer.attrs["HostConfig"]["NetworkMode"] == f"container:{new_main.id}"
    assert new_sharer.status == "running"
    code, output = new_sharer.exec_run(["hostname"])
    assert code == 0 and output.decode().strip() == new_main.attrs["Config"]["Hostname"]
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(sharer.id)
    after = state(docker_client, declared.name)
    assert after.id == declared.id and after.status == "running"
    assert after.attrs["State"]["StartedAt"] != started_before


@pytest.mark.parametrize("world", [True], indirect=True)
def test_a_rollback_restores_the_dependents(
    world: dict[str, object], colibri: ColibriCli, docker_client: docker.DockerClient
) -> None:
    main, sharer = world["main"], world["sharer"]
    [outcome] = colibri.json("update", main.name, expect=(4,))
    assert outcome["status"] == "rolled_back", outcome
    assert state(docker_client, main.name).id == main.id
    restored = state(docker_client, sharer.name)
    assert restored.id == sharer.id and restored.status == "running"


@pytest.mark.parametrize("step", ["stop", "verify", "dependents"])
def test_a_crash_with_dependents_is_recovered(
    world: dict[str, object], colibri: ColibriCli, docker_client: docker.DockerClient, step: str
) -> None:
    main, sharer = world["main"], world["sharer"]
    crashed = colibri.run("update", main.name, COLIBRI_FAILPOINT=step)
    assert crashed.returncode == 137, crashed.stderr
    [recovered] = colibri.json("recover")
    assert recovered["status"] == "rolled_back", recovered
    current_main = state(docker_client, main.name)
    current_sharer = state(docker_client, sharer.name)
    assert current_main.id == main.id and current_main.status == "running"
    assert current_sharer.id == sharer.id and current_sharer.status == "running"
    leftovers = [
        c.name
        for c in docker_client.containers.list(all=True, ignore_removed=True)
        if "-colibri-" in c.name and c.name.startswith((main.name, sharer.name))
    ]
    assert leftovers == []
