"""``colibri check`` end to end: real dockerd, real registry, the CLI as a subprocess."""

from __future__ import annotations

import pytest

from tests.support.docker_env import DockerTracker
from tests.support.registry import RegistryServer
from tests.support.scenario import ColibriCli, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}


def by_name(results: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["container"]): r for r in results}


def test_check_reports_each_status_and_exits_3_when_an_update_exists(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    registry: RegistryServer,
    session_prefix: str,
) -> None:
    repo = f"{session_prefix}/check-app"
    v1 = publisher.publish(repo, "1")
    publisher.publish(repo, "stable")
    publisher.pull(v1)
    fresh = docker_tracker.run(v1.ref, "fresh", labels=OPT_IN)
    stable = publisher.publish(repo, "moving")
    publisher.pull(stable)
    stale = docker_tracker.run(stable.ref, "stale", labels=OPT_IN)
    publisher.publish(repo, "moving")  # upstream moves the tag
    pinned = docker_tracker.run(f"{v1.repository}@{v1.digest}", "pinned", labels=OPT_IN)
    local = docker_tracker.run(v1.image_id, "by-id", labels=OPT_IN)
    ignored = docker_tracker.run(v1.ref, "ignored")

    result = colibri.run("check", "--format", "json")
    results = by_name(result.json())

    assert result.returncode == 3, result.stderr
    assert results[fresh.name]["status"] == "up_to_date"
    assert results[fresh.name]["current_digest"] == v1.digest
    assert results[stale.name]["status"] == "update_available"
    assert results[stale.name]["current_digest"] == stable.digest
    assert results[stale.name]["remote_digest"] not in (None, stable.digest)
    assert results[pinned.name]["status"] == "pinned"
    assert results[local.name]["status"] == "no_reference"
    assert ignored.name not in results


def test_a_locally_built_image_is_local_only_and_costs_no_request(
    image_factory, docker_tracker: DockerTracker, colibri: ColibriCli, registry: RegistryServer
) -> None:
    built = image_factory.build(f"{registry.host}/never-pushed/app:1")
    container = docker_tracker.run(built.ref, "local", labels=OPT_IN)
    before = registry.log_path.read_text().count("never-pushed")
    results = by_name(colibri.json("check", container.name))
    assert results[container.name]["status"] == "local_only"
    assert registry.log_path.read_text().count("never-pushed") == before


def test_unknown_names_and_an_unreachable_registry_do_not_crash(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    registry: RegistryServer,
    session_prefix: str,
) -> None:
    published = publisher.publish(f"{session_prefix}/gone", "1")
    publisher.pull(published)
    container = docker_tracker.run(published.ref, "gone", labels=OPT_IN)
    dead_port = "127.0.0.1:9"  # discard port: nothing listens
    docker_tracker.client.api.tag(published.image_id, f"{dead_port}/x/app", "1")
    try:
        other = docker_tracker.run(f"{dead_port}/x/app:1", "dead", labels=OPT_IN)
        result = colibri.run("check", container.name, other.name, "ghost", "--format", "json")
    finally:
        docker_tracker.client.api.remove_image(f"{dead_port}/x/app:1")
    results = by_name(result.json())
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert results[container.name]["status"] == "up_to_date"
    assert results[other.name]["status"] == "deferred"
    assert results["ghost"]["status"] == "error"
    assert results["ghost"]["reason"] == "no such container"


def test_the_table_lists_containers_and_a_summary(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    published = publisher.publish(f"{session_prefix}/table", "1")
    publisher.pull(published)
    container = docker_tracker.run(published.ref, "table", labels=OPT_IN)
    result = colibri.run("check", container.name)
    assert result.returncode == 0, result.stderr
    assert container.name[:20] in result.stdout
    assert "up_to_date" in result.stdout
    assert "1 checked: 1 up_to_date" in result.stdout


def test_many_containers_on_one_tag_cost_one_head_request(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    registry: RegistryServer,
    session_prefix: str,
) -> None:
    published = publisher.publish(f"{session_prefix}/shared", "1")
    publisher.pull(published)
    names = [docker_tracker.run(published.ref, f"shared{i}", labels=OPT_IN).name for i in range(6)]
    mark = registry.log_mark()
    results = colibri.json("check", *names)
    assert {r["status"] for r in results} == {"up_to_date"}
    ours = [r for r in registry.requests(mark) if "/shared/" in r.path]
    assert [(r.method, r.kind) for r in ours].count(("HEAD", "manifests")) == 1, ours
    assert not [r for r in ours if r.method == "GET"], ours
