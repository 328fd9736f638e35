"""Running a setting now, following it over server-sent events, reading it back; checks,
container statuses, health and metrics, on the real services and store."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.integration.api.conftest import Docker
from tests.support.api import ApiClient

LOCAL = 1


def _messages(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) of each SSE message; every message ends with a blank line."""
    assert text.endswith("\n\n")
    found = []
    for block in text.split("\n\n")[:-1]:
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        found.append((fields["event"], json.loads(fields["data"])))
    return found


def _run_now(client: ApiClient, name: str) -> str:
    setting = client.post(
        "/api/auto-updates", json={"environment_id": LOCAL, "container_name": name}
    )
    started = client.post(f"/api/auto-updates/{setting.json()['id']}/run")
    assert started.status_code == 202, started.text
    run_id = str(started.json()["run_id"])
    assert started.headers["Location"] == f"/api/runs/{run_id}"
    return run_id


def test_a_run_started_now_streams_its_steps_then_its_outcome(client: ApiClient) -> None:
    run_id = _run_now(client, "web")
    response = client.get(f"/api/runs/{run_id}/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    messages = _messages(response.text)
    assert [event for event, _ in messages][-1] == "finished"
    assert ("step", "done") in [(event, data.get("step")) for event, data in messages]
    assert messages[-1][1]["status"] == "up_to_date"
    again = _messages(client.get(f"/api/runs/{run_id}/events").text)
    assert again == messages


def test_a_finished_run_reads_back_with_its_steps(client: ApiClient) -> None:
    run_id = _run_now(client, "web")
    client.get(f"/api/runs/{run_id}/events")
    run = client.get(f"/api/runs/{run_id}").json()
    assert (run["status"], run["trigger"], run["container"]) == ("up_to_date", "api", "web")
    assert run["steps"][-1]["step"] == "done"
    assert run["steps"][-1]["data"] is None
    with_data = client.get(f"/api/runs/{run_id}", params={"data": True}).json()
    assert with_data["steps"][-1]["data"] == {"status": "up_to_date"}
    listed = client.get("/api/runs", params={"container": "web", "environment": "local"}).json()
    assert [r["id"] for r in listed] == [run_id]
    assert client.get("/api/runs", params={"container": "api"}).json() == []


def test_run_now_of_an_unknown_setting_is_a_404(client: ApiClient) -> None:
    assert client.post("/api/auto-updates/12345/run").status_code == 404


def test_check_records_every_container_and_reports_a_daemon_that_fails(
    client: ApiClient, docker: Docker
) -> None:
    lan = client.post(
        "/api/environments",
        json={"name": "lan", "endpoint": {"url": "tcp://lan:2376", "insecure": True}},
    )
    docker.down.add("lan")
    summary = client.post("/api/check").json()
    assert (summary["checked"], summary["updates_available"]) == (2, 1)
    failed = [part for part in summary["environments"] if part["error"]]
    assert [part["environment"] for part in failed] == ["lan"]
    statuses = client.get("/api/containers", params={"environment_id": LOCAL}).json()
    assert {(c["name"], c["status"]) for c in statuses} == {
        ("web", "up_to_date"),
        ("api", "update_available"),
    }
    assert client.get("/api/containers", params={"environment_id": lan.json()["id"]}).json() == []
    assert client.post("/api/check", params={"environment_id": 999}).status_code == 404


def test_health_says_whether_the_store_and_daemon_answer(client: ApiClient, docker: Docker) -> None:
    healthy = client.get("/healthz", headers={"Authorization": ""})
    assert (healthy.status_code, healthy.json()["checks"]) == (200, {"store": "ok", "daemon": "ok"})
    docker.down.add("local")
    sick = client.get("/healthz")
    assert (sick.status_code, sick.json()["checks"]["daemon"]) == (503, "unavailable")


def test_metrics_count_what_happened(client: ApiClient) -> None:
    client.post("/api/check")
    run_id = _run_now(client, "web")
    client.get(f"/api/runs/{run_id}/events")
    counted = 'colibri_updates_total{result="up_to_date"} 1.0'
    deadline = time.monotonic() + 10  # the run is counted just after its row is finished
    while counted not in (text := client.get("/metrics").text) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counted in text
    assert 'colibri_checks_total{status="update_available"} 1.0' in text
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")


def test_run_now_with_wait_answers_when_the_run_has_ended(client: ApiClient) -> None:
    setting = client.post(
        "/api/auto-updates", json={"container_name": "web", "vulnerability_criteria": "never"}
    ).json()
    ended = client.post(f"/api/auto-updates/{setting['id']}/run", params={"wait": "true"})
    assert ended.status_code == 200, ended.text
    run = ended.json()
    assert run["status"] not in ("running", None)
    assert ended.headers["Location"] == f"/api/runs/{run['id']}"
    assert {"steps", "logs", "reason"} <= set(run)
