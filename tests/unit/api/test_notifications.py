"""``/api/notifications`` over fakes: the URL is taken, never given back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient
from tests.unit.api.fakes import Fakes

URL = "/api/notifications"
SECRET = "json://user:hunter2@hooks.example.com/s3cr3t-path"


def _create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json={"name": "ops", "url": SECRET, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_the_url_is_only_ever_shown_redacted(client: ApiClient) -> None:
    created = _create(client, events=["failed", "rolled_back"])
    assert created["redacted_url"] == "json://hooks.example.com/***"
    assert created["events"] == ["failed", "rolled_back"]
    answers = [
        client.get(URL),
        client.get(f"{URL}/{created['id']}"),
        client.patch(f"{URL}/{created['id']}", json={"enabled": False}),
        client.put(f"{URL}/{created['id']}", json={"name": "ops"}),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert "hunter2" not in answer.text
        assert "s3cr3t" not in answer.text
    assert "url" not in created


def test_a_target_wants_every_event_unless_told(client: ApiClient) -> None:
    created = _create(client)
    assert created["events"] == sorted(
        ["blocked", "failed", "rolled_back", "update_available", "updated"]
    )


def test_updates_keep_the_stored_url_unless_given_one(client: ApiClient, fakes: Fakes) -> None:
    created = _create(client)
    client.put(f"{URL}/{created['id']}", json={"name": "renamed"})
    assert fakes.targets.rows[created["id"]].url == SECRET
    client.patch(f"{URL}/{created['id']}", json={"url": "ntfy://topic"})
    assert fakes.targets.rows[created["id"]].url == "ntfy://topic"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "no scheme hunter2"}, ["body", "url"]),
        ({"url": "nothing-here-hunter2"}, ["body", "url"]),
        ({"events": []}, ["body", "events"]),
        ({"events": ["exploded"]}, ["body", "events", 0]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "x" * 256}, ["body", "name"]),
    ],
)
def test_an_invalid_field_is_a_422_that_never_echoes_the_url(
    client: ApiClient, body: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post(URL, json={"name": "ops", "url": SECRET, **body})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert "hunter2" not in response.text


def test_a_taken_name_is_a_409(client: ApiClient) -> None:
    _create(client)
    response = client.post(URL, json={"name": "ops", "url": "ntfy://x"})
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_a_test_message_is_sent(client: ApiClient, fakes: Fakes) -> None:
    created = _create(client)
    response = client.post(f"{URL}/{created['id']}/test")
    assert response.json() == {"delivered": True, "detail": ""}
    assert fakes.targets.sent == [created["id"]]


def test_a_failed_test_message_says_why(client: ApiClient, fakes: Fakes) -> None:
    created = _create(client)
    fakes.targets.failing = "json://hooks.example.com/***: connection refused"
    response = client.post(f"{URL}/{created['id']}/test")
    assert response.status_code == 200
    assert response.json() == {
        "delivered": False,
        "detail": "json://hooks.example.com/***: connection refused",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ""), ("PUT", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test")],
)
def test_an_unknown_id_is_a_404(client: ApiClient, method: str, path: str) -> None:
    response = client.request(method, f"{URL}/4{path}", json={"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "notification target 4 not found"}
