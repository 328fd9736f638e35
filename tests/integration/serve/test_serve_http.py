"""The whole service, as a user drives it: ``colibri serve`` as a process, a notification target
and an auto-update setting created over HTTP with the admin token, "run now", the container
updated on the real daemon, and the run visible in the history, in the metrics, over
server-sent events and at the notification endpoint."""

from __future__ import annotations

import secrets
import time

import docker
import httpx
import pytest

from tests.integration.serve.conftest import Server
from tests.support.docker_env import DockerTracker
from tests.support.notify_sink import NotifySink
from tests.support.scenario import Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def test_a_setting_made_over_http_updates_the_container_and_everything_shows_it(
    server: Server,
    publisher: Publisher,
    session_prefix: str,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    notify_sink: NotifySink,
) -> None:
    v1, v2 = publisher.upstream_moved(f"{session_prefix}/http-{secrets.token_hex(3)}")
    old = docker_tracker.run(v1.ref, "http")
    serving = server.start()
    token = serving.token
    assert token is not None
    api = httpx.Client(
        base_url=serving.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )

    target = api.post("/api/notifications", json={"name": "sink", "url": notify_sink.url("/hook")})
    assert target.status_code == 201, target.text
    assert "redacted_url" in target.json() and "url" not in target.json()
    [local] = api.get("/api/environments").json()
    setting = api.post(
        "/api/auto-updates",
        json={"environment_id": local["id"], "container_name": old.name, "schedule_type": "weekly"},
    )
    assert setting.status_code == 201, setting.text
    assert setting.json()["cron_expression"] == "0 3 * * 1"

    started = api.post(f"/api/auto-updates/{setting.json()['id']}/run")
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    run = wait_finished(api, run_id)
    assert run["status"] == "updated", run
    assert run["trigger"] == "api"

    current = docker_client.containers.get(old.name)
    assert current.id != old.id
    assert current.exec_run(["cat", "/colibri-marker"]).output.decode().strip() == v2.marker
    history = api.get("/api/runs", params={"container": old.name}).json()
    assert [r["id"] for r in history] == [run_id]
    events = api.get(f"/api/runs/{run_id}/events").text
    assert "event: finished" in events and '"updated"' in events
    metrics = api.get("/metrics").text
    assert 'colibri_updates_total{result="updated"} 1.0' in metrics
    assert 'colibri_containers{environment="local",status="up_to_date"}' in metrics
    assert 'colibri_last_check_age_seconds{environment="local"}' in metrics
    deadline = time.monotonic() + 30
    while not notify_sink.delivered and time.monotonic() < deadline:
        time.sleep(0.2)
    [message] = [r.json() for r in notify_sink.delivered]
    assert message["title"] == f"Updated: {old.name} on local"
    assert serving.terminate() == 0


def wait_finished(api: httpx.Client, run_id: str, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/api/runs/{run_id}").json()
        if run["status"] != "running":
            return run
        time.sleep(0.3)
    pytest.fail(f"run {run_id} did not finish: {api.get(f'/api/runs/{run_id}').text}")
