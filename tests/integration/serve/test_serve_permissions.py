"""Permissions mean what they say, on ``colibri serve`` and the real daemon: a token that may
make schedules but not run updates cannot make one that runs them; run data shows the old
container's environment redacted unless the token may read it raw; fifty "run now" at once
queue one run."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from colibri.domain.tokens import NewApiToken, Permission
from tests.integration.serve.conftest import Server
from tests.integration.serve.test_serve_http import wait_finished
from tests.support.docker_env import DockerTracker
from tests.support.scenario import Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def test_permissions_hold_on_the_running_service(
    server: Server, publisher: Publisher, session_prefix: str, docker_tracker: DockerTracker
) -> None:
    v1, _ = publisher.upstream_moved(f"{session_prefix}/perm-{secrets.token_hex(3)}")
    password = f"hunter2-{secrets.token_hex(4)}"
    old = docker_tracker.run(v1.ref, "perm", environment={"DB_PASSWORD": password})
    serving = server.start()
    with server.store() as store:
        made = {
            name: store.tokens.create(NewApiToken(name, frozenset(held))).secret
            for name, held in (
                ("scheduler", {Permission.SCHEDULES_CREATE, Permission.SCHEDULES_UPDATE}),
                ("reader", {Permission.RUNS_READ}),
                ("auditor", {Permission.RUNS_READ, Permission.RUNS_RAW}),
            )
        }
    admin = _client(serving.url, serving.token)
    [local] = admin.get("/api/environments").json()
    body = {
        "environment_id": local["id"],
        "container_name": old.name,
        "schedule_type": "custom",
        "cron": "* * * * *",
    }

    scheduler = _client(serving.url, made["scheduler"])
    refused = scheduler.post("/api/auto-updates", json=body)
    assert refused.status_code == 403 and "updates:run" in refused.json()["detail"]
    kept_off = scheduler.post("/api/auto-updates", json={**body, "enabled": False})
    assert kept_off.status_code == 201, kept_off.text
    setting = kept_off.json()["id"]
    switched_on = scheduler.patch(f"/api/auto-updates/{setting}", json={"enabled": True})
    assert switched_on.status_code == 403
    assert admin.get(f"/api/auto-updates/{setting}").json()["enabled"] is False

    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(
            pool.map(lambda _: admin.post(f"/api/auto-updates/{setting}/run"), range(50))
        )
    assert {answer.status_code for answer in answers} == {202}
    run_ids = {answer.json()["run_id"] for answer in answers}
    assert len(run_ids) == 1, f"{len(run_ids)} runs queued for one setting"
    [run_id] = run_ids
    assert wait_finished(admin, run_id)["status"] == "updated"
    assert [r["id"] for r in admin.get("/api/runs", params={"container": old.name}).json()] == [
        run_id
    ]

    reader = _client(serving.url, made["reader"])
    redacted = reader.get(f"/api/runs/{run_id}", params={"data": True})
    assert redacted.status_code == 200
    assert password not in redacted.text
    assert "DB_PASSWORD=<redacted>" in redacted.text
    assert reader.get(f"/api/runs/{run_id}", params={"raw": True}).status_code == 403
    raw = _client(serving.url, made["auditor"]).get(f"/api/runs/{run_id}", params={"raw": True})
    assert raw.status_code == 200 and f"DB_PASSWORD={password}" in raw.text
    assert serving.terminate() == 0


def _client(url: str, token: str | None) -> httpx.Client:
    assert token is not None
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
