"""``/api/skips`` over fakes: create (version, snooze, the offered digest), list, clear,
delete, errors naming the field, permissions; and the controls' fields of
``/api/containers``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import Endpoint, NewEnvironment
from colibri.domain.model import CheckStatus
from colibri.domain.tokens import Permission
from tests.support.api import ApiClient
from tests.unit.api.fakes import NOW, Fakes

NEW = "sha256:" + "e" * 64


@pytest.fixture(autouse=True)
def containers(fakes: Fakes) -> None:
    fakes.environments.create(NewEnvironment("local", Endpoint("unix:///run/docker.sock")))
    fakes.containers.statuses = [
        ContainerStatus(
            1,
            "web",
            "c1",
            "nginx:1",
            CheckStatus.UPDATE_AVAILABLE,
            NOW,
            "sha256:old",
            NEW,
            "eligible at 2026-01-04 00:00 UTC",
            controls={
                "update_kind": "minor",
                "changes": {
                    "new_version": "1.28.0",
                    "compare_url": "https://github.com/a/b/compare/x...y",
                },
                "eligible_at": "2026-01-04T00:00:00+00:00",
                "window": "Sat,Sun 02:00-05:00",
                "window_open": False,
                "next_window_opening": "2026-01-03T02:00:00+00:00",
            },
        ),
    ]


def test_a_version_skip_is_created_listed_and_cleared(client: ApiClient) -> None:
    body = {"environment_id": 1, "container": "web", "version": "1.28.0", "reason": "broken"}
    response = client.post("/api/skips", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/api/skips/{created['id']}"
    assert (created["kind"], created["version"], created["until"]) == ("version", "1.28.0", None)
    assert [s["id"] for s in client.get("/api/skips").json()] == [created["id"]]
    assert client.get("/api/skips", params={"container": "db"}).json() == []
    cleared = client.delete("/api/skips", params={"environment_id": 1, "container": "web"})
    assert cleared.json() == {"container": "web", "cleared": 1}
    assert client.get("/api/skips").json() == []


def test_a_snooze_and_the_offered_digest(client: ApiClient) -> None:
    snooze = client.post(
        "/api/skips", json={"environment_id": 1, "container": "web", "until": "7d"}
    )
    assert snooze.json()["kind"] == "snooze"
    assert snooze.json()["until"].startswith("2026-01-08")  # the fakes' clock starts 2026-01-01
    offered = client.post("/api/skips", json={"environment_id": 1, "container": "web"})
    assert (offered.json()["kind"], offered.json()["version"]) == ("digest", NEW)
    assert client.delete(f"/api/skips/{offered.json()['id']}").status_code == 204
    assert client.delete(f"/api/skips/{offered.json()['id']}").status_code == 404


def test_errors_name_the_field(client: ApiClient) -> None:
    bad_until = client.post(
        "/api/skips", json={"environment_id": 1, "container": "web", "until": "someday"}
    )
    assert bad_until.status_code == 422
    assert bad_until.json()["detail"][0]["loc"] == ["body", "until"]
    nothing = client.post("/api/skips", json={"environment_id": 1, "container": "db"})
    assert nothing.status_code == 422
    assert nothing.json()["detail"][0]["loc"] == ["body", "version"]
    assert "db has no update on offer" in nothing.json()["detail"][0]["msg"]
    unknown = client.post(
        "/api/skips", json={"environment_id": 9, "container": "web", "until": "1d"}
    )
    assert unknown.status_code == 404
    extra = client.post("/api/skips", json={"environment_id": 1, "container": "web", "x": 1})
    assert extra.status_code == 422


def test_permissions(fakes: Fakes, app: FastAPI, make_api_client: Callable[..., ApiClient]) -> None:
    fakes.tokens.add("colibri_reader-secret-0123456789", Permission.CONTAINERS_READ)
    reader = make_api_client(app, "colibri_reader-secret-0123456789")
    assert reader.get("/api/skips").status_code == 200
    refused = reader.post(
        "/api/skips", json={"environment_id": 1, "container": "web", "until": "1d"}
    )
    assert refused.status_code == 403
    assert "updates:run" in refused.text
    assert reader.delete("/api/skips/1").status_code == 403


def test_containers_show_what_the_controls_said(client: ApiClient) -> None:
    [web] = client.get("/api/containers").json()
    assert web["update_kind"] == "minor"
    assert web["changes"]["compare_url"] == "https://github.com/a/b/compare/x...y"
    assert web["eligible_at"] == "2026-01-04T00:00:00Z"
    assert web["window"] == "Sat,Sun 02:00-05:00"
    assert web["window_open"] is False
    assert web["next_window_opening"] == "2026-01-03T02:00:00Z"
    assert web["skipped_until"] is None
