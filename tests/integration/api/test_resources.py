"""The API on the real services and store (SQLite and PostgreSQL): each resource end to end,
its 404s, 409s and 422s."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.store import Store
from tests.integration.api.conftest import Inbox
from tests.support.api import ApiClient

LOCAL = 1  # the environment the migrations create


def _setting(client: ApiClient, name: str = "web", **fields: Any) -> dict[str, Any]:
    body = {"environment_id": LOCAL, "container_name": name, **fields}
    response = client.post("/api/auto-updates", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_auto_updates_round_trip_with_their_next_run(client: ApiClient) -> None:
    created = _setting(client, schedule_type="custom", cron="30 2 * * *", timezone="Asia/Tokyo")
    assert created["next_run_at"] is not None
    assert created["next_run_at"].endswith(("17:30:00Z", "17:30:00+00:00"))
    url = f"/api/auto-updates/{created['id']}"
    assert client.get(url).json() == created
    assert client.get("/api/auto-updates", params={"environment_id": LOCAL}).json() == [created]
    disabled = client.patch(url, json={"enabled": False}).json()
    assert (disabled["enabled"], disabled["next_run_at"]) == (False, None)
    assert client.put(url, json={}).json()["cron_expression"] == "0 3 * * *"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_a_second_setting_for_a_container_is_a_409(client: ApiClient) -> None:
    _setting(client)
    response = client.post(
        "/api/auto-updates", json={"environment_id": LOCAL, "container_name": "web"}
    )
    assert response.status_code == 409
    [item] = response.json()["detail"]
    assert (item["loc"], item["type"]) == (["body", "container_name"], "conflict")


def test_an_unknown_environment_is_a_422_naming_it(client: ApiClient) -> None:
    response = client.post("/api/auto-updates", json={"environment_id": 99, "container_name": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "environment_id"]


def test_a_cron_that_never_matches_is_a_422_saying_so(client: ApiClient) -> None:
    response = client.post(
        "/api/auto-updates",
        json={
            "environment_id": LOCAL,
            "container_name": "web",
            "schedule_type": "custom",
            "cron": "0 0 30 2 *",
        },
    )
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "cron_expression"]
    assert "never matches" in item["msg"]


def test_cron_describe_in_words_and_times(client: ApiClient) -> None:
    body = client.get("/api/cron/describe", params={"expr": "0 4 * * 1-5"}).json()
    assert "04:00" in body["description"]
    assert len(body["next_runs"]) == 5
    invalid = client.get("/api/cron/describe", params={"expr": "0 25 * * *"})
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["query", "expr"]
    assert "hour field" in invalid.json()["detail"][0]["msg"]


def test_environments_round_trip_and_their_conflicts(client: ApiClient) -> None:
    body = {"name": "lan", "endpoint": {"url": "tcp://docker.lan:2376", "tls": {"verify": False}}}
    created = client.post("/api/environments", json=body).json()
    assert [env["name"] for env in client.get("/api/environments").json()] == ["lan", "local"]
    again = client.post("/api/environments", json=body)
    assert (again.status_code, again.json()["detail"][0]["loc"]) == (409, ["body", "name"])
    url = f"/api/environments/{created['id']}"
    assert client.patch(url, json={"labels": {"site": "paris"}}).json()["labels"] == {
        "site": "paris"
    }
    _setting(client, environment_id=created["id"])
    refused = client.delete(url)
    assert refused.status_code == 409
    [item] = refused.json()["detail"]
    assert item["loc"] == ["path", "environment_id"]
    assert "auto-update setting" in item["msg"]


def test_targets_keep_their_url_secret_and_test_sends_arrive(
    client: ApiClient, inbox: Inbox, store: Store
) -> None:
    secret = "json://bot:hunter2@hooks.example.com/deliver"
    created = client.post("/api/notifications", json={"name": "ops", "url": secret})
    assert created.status_code == 201, created.text
    target = created.json()
    assert target["redacted_url"] == "json://hooks.example.com/***"
    for answer in (
        created,
        client.get("/api/notifications"),
        client.get(f"/api/notifications/{target['id']}"),
    ):
        assert "hunter2" not in answer.text
    sent = client.post(f"/api/notifications/{target['id']}/test").json()
    assert sent == {"delivered": True, "detail": ""}
    assert [url for url, _ in inbox.sent] == [secret]
    inbox.failing = "json://hooks.example.com/***: connection refused"
    assert client.post(f"/api/notifications/{target['id']}/test").json()["delivered"] is False
    assert store.notification_targets.get(target["id"]).url == secret  # type: ignore[union-attr]


def test_a_url_apprise_cannot_load_is_a_422_that_does_not_echo_it(client: ApiClient) -> None:
    response = client.post(
        "/api/notifications", json={"name": "x", "url": "nosuchservice://hunter2"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "url"]
    assert "hunter2" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/auto-updates/2147483647",
        "/api/environments/2147483647",
        "/api/notifications/2147483647",
        "/api/runs/" + "f" * 32,
        "/api/runs/" + "f" * 64,
    ],
)
def test_unknown_ids_at_the_edge_of_the_columns_are_404s(client: ApiClient, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/notifications", {"name": "a\x00b", "url": "json://h/p"}),
        ("POST", "/api/environments", {"name": "e", "endpoint": {"url": "unix:///a\x00b"}}),
        (
            "POST",
            "/api/environments",
            {"name": "e", "endpoint": {"url": "unix:///x"}, "labels": {"k": "v\x00"}},
        ),
        ("POST", "/api/auto-updates", {"environment_id": 2**31, "container_name": "w"}),
        (
            "POST",
            "/api/auto-updates",
            {
                "environment_id": 1,
                "container_name": "w",
                "schedule_type": "custom",
                "cron": "0 " * 200,
            },
        ),
        ("GET", "/api/runs?environment=%00", None),
        ("GET", "/api/auto-updates?offset=2147483648", None),
    ],
)
def test_what_the_database_would_refuse_is_a_422(
    client: ApiClient, method: str, url: str, body: Any
) -> None:
    response = client.request(method, url, json=body)
    assert response.status_code == 422, response.text


def test_tokens_from_the_store_authenticate_and_revoked_or_expired_ones_do_not(
    client: ApiClient, token_for: Any, store: Store
) -> None:
    from colibri.domain.tokens import Permission

    reader = token_for(Permission.RUNS_READ)
    assert client.get("/api/runs", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    denied = client.get("/api/containers", headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403
    assert "containers:read" in denied.json()["detail"]
    expired = token_for(Permission.ADMIN, expired=True)
    assert (
        client.get("/api/runs", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    )
    token = store.tokens.find_active(reader)
    assert token is not None
    store.tokens.revoke(token.id)
    assert client.get("/api/runs", headers={"Authorization": f"Bearer {reader}"}).status_code == 401


def test_a_cron_for_another_cron_is_refused_with_a_valid_equivalent(client: ApiClient) -> None:
    body = {"environment_id": LOCAL, "container_name": "web", "schedule_type": "custom"}
    response = client.post("/api/auto-updates", json={**body, "cron": "@weekly"})
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "cron_expression"]
    assert item["ctx"]["suggestion"] == "0 0 * * 0"
    assert len(item["ctx"]["next_runs"]) == 5
    accepted = client.post("/api/auto-updates", json={**body, "cron": item["ctx"]["suggestion"]})
    assert accepted.status_code == 201
    assert accepted.json()["next_run_at"].replace("Z", "+00:00") == item["ctx"]["next_runs"][0]


def test_every_change_is_in_the_audit_trail_with_who_before_and_after(
    client: ApiClient, store: Store
) -> None:
    created = _setting(client, vulnerability_criteria="high")
    url = f"/api/auto-updates/{created['id']}"
    client.patch(url, json={"vulnerability_criteria": "never"})
    target = client.post(
        "/api/notifications", json={"name": "ops", "url": "json://hooks.lan/x?token=s3cret"}
    ).json()
    client.delete(url)
    trail = client.get("/api/audit").json()
    assert [(e["action"], e["resource"]) for e in trail] == [
        ("delete", "auto_update"),
        ("create", "notification_target"),
        ("update", "auto_update"),
        ("create", "auto_update"),
    ]
    [admin] = store.tokens.list_tokens()
    assert {(e["actor"], e["token_id"]) for e in trail} == {(f"token:{admin.name}", admin.id)}
    update = trail[2]
    assert update["before"]["vulnerability_criteria"] == "high"
    assert update["after"]["vulnerability_criteria"] == "never"
    assert trail[0]["after"] is None and trail[0]["before"]["id"] == created["id"]
    assert trail[1]["resource_id"] == str(target["id"])
    assert "s3cret" not in str(trail)  # a target's URL is kept redacted, as the API shows it
    only = client.get("/api/audit", params={"resource": "notification_target"}).json()
    assert [e["resource"] for e in only] == ["notification_target"]
