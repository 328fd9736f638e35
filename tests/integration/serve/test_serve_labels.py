"""``colibri serve`` doing the job by itself, as a process on the real daemon: containers that
opted in by label are updated on their label's cron with no API call, monitor-only ones are
checked and left alone, old images go when nothing uses them, the settings form's exact body
is taken and run, a rolled-back image is not tried again but a newer one is, and two services
on one PostgreSQL run a label slot once.

Each test scopes its service (``COLIBRI_SCOPE``) to its own containers, so services that other
tests run on the same daemon never touch them."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import docker
import httpx
import pytest

from colibri.domain.journal import RunRecord, RunStatus
from colibri.store import Store, make_store
from tests.integration.serve.conftest import ServeProcess, Server
from tests.support.docker_env import DockerTracker
from tests.support.scenario import Published, Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]

EVERY_MINUTE = "* * * * *"
#: Unhealthy a second after it starts: the update rolls back.
UNHEALTHY = {"changes": ["HEALTHCHECK --interval=1s --retries=1 CMD false"]}

Upstream = Callable[..., tuple[Published, Published]]


@pytest.fixture
def upstream(publisher: Publisher, session_prefix: str) -> Upstream:
    def make(**v2_build: Any) -> tuple[Published, Published]:
        return publisher.upstream_moved(
            f"{session_prefix}/labels-{secrets.token_hex(3)}", **v2_build
        )

    return make


def labels(scope: str, **more: str) -> dict[str, str]:
    return {"colibri.enable": "true", "colibri.scope": scope, **more}


def runs_of(store: Store, name: str) -> list[RunRecord]:
    return [store.journal.get_run(r.id) for r in store.journal.list_runs(container_name=name)]


def wait_runs(
    url: str, name: str, count: int, timeout: float = 150, finished: bool = True
) -> list[RunRecord]:
    """The container's runs, oldest first, once there are ``count`` finished ones."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with make_store(url, migrate=False) as store:
            runs = list(reversed(runs_of(store, name)))
        done = [r for r in runs if r.status is not RunStatus.RUNNING or not finished]
        if len(done) >= count:
            return done
        time.sleep(1)
    pytest.fail(f"{name}: fewer than {count} runs after {timeout}s")


def make_slot_due(url: str, name: str) -> None:
    """Move the container's label slot into the past, as if its minute had come."""
    with make_store(url, migrate=False) as store:
        local = store.environments.find("local")
        assert local is not None
        slot = store.label_slots.get(local.id, name)
        assert slot is not None and slot.next_run_at is not None, slot
        past = datetime.now(UTC) - timedelta(seconds=1)
        assert store.label_slots.claim(local.id, name, slot.next_run_at, past)


def logs(run: RunRecord) -> str:
    return "\n".join(message for _, _, message in run.logs)


def test_labels_alone_drive_updates_monitoring_and_cleanup(
    server: Server,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
) -> None:
    scope = secrets.token_hex(4)
    shared_v1, shared_v2 = upstream()
    auto = docker_tracker.run(
        shared_v1.ref, "auto", labels=labels(scope, **{"colibri.schedule": EVERY_MINUTE})
    )
    docker_tracker.run(shared_v1.ref, "twin")  # not opted in: keeps the old image in use
    solo_v1, solo_v2 = upstream()
    solo = docker_tracker.run(
        solo_v1.ref, "solo", labels=labels(scope, **{"colibri.schedule": EVERY_MINUTE})
    )
    watched_v1, _ = upstream()
    monitor_only = {
        "colibri.schedule": EVERY_MINUTE,
        "com.centurylinklabs.watchtower.monitor-only": "true",
    }
    watched = docker_tracker.run(watched_v1.ref, "watched", labels=labels(scope, **monitor_only))
    seeded_v1, seeded_v2 = upstream()
    seeded = docker_tracker.run(seeded_v1.ref, "seeded")

    serving = server.start(COLIBRI_SCOPE=scope)
    token = serving.token
    started = time.monotonic()
    [auto_run] = wait_runs(server.database_url, auto.name, 1)
    [solo_run] = wait_runs(server.database_url, solo.name, 1)
    assert time.monotonic() - started < 120, "not updated within two minutes"

    assert (auto_run.status, auto_run.trigger) == (RunStatus.UPDATED, "schedule"), auto_run
    assert solo_run.status is RunStatus.UPDATED, solo_run
    assert _marker(docker_client, auto.name) == shared_v2.marker
    assert _marker(docker_client, solo.name) == solo_v2.marker
    assert "still in use" in logs(auto_run)  # the twin runs the old image: kept
    assert "removed image" in logs(solo_run)  # nothing else used it: gone
    assert solo_v1.repository + ":" + solo_v1.tag not in _tags(docker_client, solo_v1.image_id)

    shown = _containers(serving, token)
    deadline = time.monotonic() + 60
    while shown.get(watched.name, {}).get("status") != "update_available":
        assert time.monotonic() < deadline, shown.get(watched.name)
        time.sleep(1)
        shown = _containers(serving, token)
    assert shown[watched.name]["schedule"]["mode"] == "notify"
    assert shown[auto.name]["schedule"]["source"] == "label"
    assert shown[auto.name]["schedule"]["cron_expression"] == EVERY_MINUTE
    assert docker_client.containers.get(watched.name).id == watched.id  # untouched
    with make_store(server.database_url, migrate=False) as store:
        assert runs_of(store, watched.name) == []  # monitor-only leaves no update run

    seed_body = {
        "container_name": seeded.name,
        "schedule_type": "daily",
        "cron_expression": "0 3 * * *",
        "vulnerability_criteria": "never",
    }
    created = serving.post("/api/auto-updates", token, json=seed_body)
    assert created.status_code == 201, created.text
    assert {key: created.json()[key] for key in seed_body} == seed_body
    ran = httpx.post(
        f"{serving.url}/api/auto-updates/{created.json()['id']}/run?wait=true",
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    assert ran.status_code == 200, ran.text
    assert ran.json()["status"] == "updated", ran.json()
    assert _marker(docker_client, seeded.name) == seeded_v2.marker
    assert _containers(serving, token)[seeded.name]["schedule"]["source"] == "setting"
    assert serving.terminate() == 0, serving.output()


def test_a_rolled_back_image_is_not_tried_again_but_a_newer_one_is(
    server: Server,
    upstream: Upstream,
    publisher: Publisher,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
) -> None:
    scope = secrets.token_hex(4)
    v1, bad = upstream(**UNHEALTHY)
    flaky = docker_tracker.run(
        v1.ref, "flaky", labels=labels(scope, **{"colibri.schedule": "0 0 1 1 *"})
    )
    serving = server.start(COLIBRI_SCOPE=scope, COLIBRI_HEALTH_TIMEOUT="10")
    url = server.database_url
    _wait_slot(url, flaky.name)

    make_slot_due(url, flaky.name)
    [first] = wait_runs(url, flaky.name, 1)
    assert first.status is RunStatus.ROLLED_BACK, first
    assert _marker(docker_client, flaky.name) == v1.marker
    listed = serving.get("/api/bad-digests", serving.token).json()
    assert [(b["container_name"], b["digest"]) for b in listed] == [(flaky.name, bad.digest)]

    make_slot_due(url, flaky.name)
    second = wait_runs(url, flaky.name, 2)[-1]
    assert second.status is RunStatus.SKIPPED, second
    assert bad.digest in second.reason and "not tried again" in second.reason

    good = publisher.publish(v1.repository.split("/", 1)[1], v1.tag)
    make_slot_due(url, flaky.name)
    third = wait_runs(url, flaky.name, 3)[-1]
    assert third.status is RunStatus.UPDATED, third
    assert _marker(docker_client, flaky.name) == good.marker
    assert serving.terminate() == 0, serving.output()


def test_two_services_on_one_postgresql_run_a_label_slot_once(
    server: Server,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    postgres_database: str,
) -> None:
    from tests.support.databases import empty_postgres_schema

    empty_postgres_schema(postgres_database)
    scope = secrets.token_hex(4)
    v1, _ = upstream()
    shared = docker_tracker.run(
        v1.ref, "shared", labels=labels(scope, **{"colibri.schedule": "0 0 1 1 *"})
    )
    env = {"COLIBRI_SCOPE": scope, "COLIBRI_DATABASE_URL": postgres_database}
    one = server.start(**env)
    _wait_slot(postgres_database, shared.name)
    two = server.start(**env)
    make_slot_due(postgres_database, shared.name)
    [run] = wait_runs(postgres_database, shared.name, 1)
    time.sleep(3)  # both schedulers have had many ticks to claim it
    with make_store(postgres_database, migrate=False) as store:
        assert [r.id for r in runs_of(store, shared.name)] == [run.id]
    assert run.status is RunStatus.UPDATED, run
    assert one.terminate() == 0 and two.terminate() == 0


def _wait_slot(url: str, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with make_store(url, migrate=False) as store:
            local = store.environments.find("local")
            if local is not None and store.label_slots.get(local.id, name) is not None:
                return
        time.sleep(0.5)
    pytest.fail(f"{name} was never planned")


def _containers(serving: ServeProcess, token: str | None) -> dict[str, dict[str, Any]]:
    answer = serving.get("/api/containers", token)
    assert answer.status_code == 200, answer.text
    return {c["name"]: c for c in answer.json()}


def _marker(client: docker.DockerClient, name: str) -> str:
    code, output = client.containers.get(name).exec_run(["cat", "/colibri-marker"])
    assert code == 0, output
    return str(output.decode().strip())


def _tags(client: docker.DockerClient, image_id: str) -> list[str]:
    try:
        return list(client.images.get(image_id).tags)
    except docker.errors.ImageNotFound:
        return []
