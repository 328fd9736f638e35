"""``/api/runs`` over fakes: lists, detail with and without step data, and the SSE framing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from colibri.domain.journal import RunStatus, Step, StepRecord
from colibri.errors import StoreError
from tests.support.api import ApiClient
from tests.unit.api.fakes import NOW, Fakes, run_record

RUN = "a" * 32
INSPECT = {"Id": "c" * 64, "Config": {"Env": ["SECRET=x"]}}


@pytest.fixture(autouse=True)
def runs(fakes: Fakes) -> None:
    steps = (
        StepRecord(RUN, 1, Step.RESOLVE, NOW, {"digest": "sha256:1"}),
        StepRecord(RUN, 2, Step.SNAPSHOT, NOW, {"inspect": INSPECT}),
        StepRecord(RUN, 3, Step.DONE, NOW + timedelta(seconds=3)),
    )
    logs = ((NOW, "info", "pulled"),)
    fakes.runs.runs[RUN] = run_record(RUN, steps=steps, logs=logs)
    fakes.runs.runs["b" * 32] = run_record("b" * 32, container_name="db", environment="lan")


def test_list_filters_by_container_and_environment(client: ApiClient) -> None:
    assert [r["id"] for r in client.get("/api/runs").json()] == [RUN, "b" * 32]
    assert [r["id"] for r in client.get("/api/runs?container=db").json()] == ["b" * 32]
    assert [r["id"] for r in client.get("/api/runs?container=/web").json()] == [RUN]
    assert [r["id"] for r in client.get("/api/runs?environment=lan").json()] == ["b" * 32]
    assert client.get("/api/runs?limit=1&offset=1").json()[0]["id"] == "b" * 32
    assert "steps" not in client.get("/api/runs").json()[0]


@pytest.mark.parametrize(
    "query", ["container=a%00b", "environment=x%20y", "container=" + "a" * 300]
)
def test_filters_that_cannot_name_anything_are_a_422(client: ApiClient, query: str) -> None:
    response = client.get(f"/api/runs?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_detail_has_steps_and_logs_but_no_step_data_by_default(client: ApiClient) -> None:
    run = client.get(f"/api/runs/{RUN}").json()
    assert [step["step"] for step in run["steps"]] == ["resolve", "snapshot", "done"]
    assert all(step["data"] is None for step in run["steps"])
    assert run["logs"] == [
        {"at": NOW.isoformat().replace("+00:00", "Z"), "level": "info", "message": "pulled"}
    ]
    assert "SECRET" not in json.dumps(run)


def test_step_data_when_asked_for(client: ApiClient) -> None:
    run = client.get(f"/api/runs/{RUN}", params={"data": "true"}).json()
    assert run["steps"][1]["data"] == {"inspect": INSPECT}


@pytest.mark.parametrize("run_id", ["c" * 32, "no-such-run"])
def test_an_unknown_run_is_a_404(client: ApiClient, run_id: str) -> None:
    for suffix in ("", "/events"):
        response = client.get(f"/api/runs/{run_id}{suffix}")
        assert (response.status_code, response.json()) == (
            404,
            {"detail": f"run {run_id} not found"},
        )


def test_a_malformed_run_id_is_a_422(client: ApiClient) -> None:
    response = client.get("/api/runs/a%00b")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "run_id"]


def _messages(text: str) -> list[tuple[str, dict[str, Any]]]:
    """SSE messages as (event, data): each ends with a blank line."""
    assert text.endswith("\n\n")
    messages = []
    for block in text.split("\n\n")[:-1]:
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line[0] != ":")
        fields.pop("id", None)
        assert set(fields) == {"event", "data"}
        messages.append((fields["event"], json.loads(fields["data"])))
    return messages


def test_events_of_a_finished_run_stream_its_progress_then_close(
    client: ApiClient, fakes: Fakes
) -> None:
    fakes.runs.events[RUN] = [
        {"event": "step", "seq": 1, "step": Step.RESOLVE, "at": NOW},
        {"event": "log", "message": "line one\nline two"},
        {"status": RunStatus.UPDATED},
        {"event": "finished", "status": "updated"},
    ]
    response = client.get(f"/api/runs/{RUN}/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert _messages(response.text) == [
        ("step", {"event": "step", "seq": 1, "step": "resolve", "at": NOW.isoformat()}),
        ("log", {"event": "log", "message": "line one\nline two"}),
        ("message", {"status": "updated"}),
        ("finished", {"event": "finished", "status": "updated"}),
    ]


def test_an_event_name_that_would_break_the_framing_is_not_used(
    client: ApiClient, fakes: Fakes
) -> None:
    fakes.runs.events[RUN] = [{"event": "step\ndata: forged"}, {"event": "finished"}]
    [(name, _), (last, _)] = _messages(client.get(f"/api/runs/{RUN}/events").text)
    assert (name, last) == ("message", "finished")


def test_a_store_failure_while_following_ends_the_stream_with_an_error(
    client: ApiClient, fakes: Fakes
) -> None:
    fakes.runs.events[RUN] = [{"event": "step", "seq": 1}]
    fakes.runs.follow_error = StoreError("database is locked")
    messages = _messages(client.get(f"/api/runs/{RUN}/events").text)
    assert messages[-1] == (
        "error",
        {"event": "error", "run_id": RUN, "detail": "database is locked"},
    )


def test_events_carry_their_id_and_a_reconnection_resumes_after_the_last_one(
    client: ApiClient, fakes: Fakes
) -> None:
    fakes.runs.events[RUN] = [
        {"id": 7, "event": "step", "seq": 2},
        {"id": 8, "event": "finished", "status": "updated"},
    ]
    text = client.get(f"/api/runs/{RUN}/events", headers={"Last-Event-ID": "6"}).text
    assert text.startswith("id: 7\nevent: step\n")
    assert "id: 8\nevent: finished\n" in text
    assert fakes.runs.followed_after == [6]
    bad = client.get(f"/api/runs/{RUN}/events", headers={"Last-Event-ID": "seven"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]


def test_the_stream_of_every_run_numbers_its_events_and_keeps_alive(
    client: ApiClient, fakes: Fakes
) -> None:
    fakes.runs.everything = [{"id": 3, "event": "started", "run_id": RUN}, None]
    response = client.get("/api/events", headers={"Last-Event-ID": "2"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == (
        ": keep-alive\n\n"
        f'id: 3\nevent: started\ndata: {{"event":"started","id":3,"run_id":"{RUN}"}}\n\n'
        ": keep-alive\n\n"
    )
    assert fakes.runs.followed_after == [2]
    client.get("/api/events")
    assert fakes.runs.followed_after == [2, None]
