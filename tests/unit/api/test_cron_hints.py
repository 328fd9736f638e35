"""A cron expression written for another cron: refused, naming ``cron``, with its equivalent."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.api.cron_hints import equivalent
from colibri.domain.environments import Endpoint, NewEnvironment
from tests.support.api import ApiClient
from tests.unit.api.fakes import Fakes


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("@daily", "0 0 * * *"),
        (" @HOURLY ", "0 * * * *"),
        ("@weekly", "0 0 * * 0"),
        ("0 30 4 * * *", "30 4 * * *"),
        ("0 4 * * *", None),
        ("15 30 4 * * *", None),
        ("@reboot", None),
        ("0 0 4 * * * 2027", None),
    ],
)
def test_equivalents_are_only_offered_when_certain(given: str, meant: str | None) -> None:
    assert equivalent(given) == meant


def _refusal(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    return dict(item)


@pytest.fixture(autouse=True)
def local(fakes: Fakes) -> None:
    fakes.environments.create(NewEnvironment("local", Endpoint("unix:///var/run/docker.sock")))


def test_a_macro_in_a_setting_is_refused_with_its_equivalent_and_next_runs(
    client: ApiClient,
) -> None:
    body = {"environment_id": 1, "container_name": "web", "schedule_type": "custom"}
    item = _refusal(client.post("/api/auto-updates", json={**body, "cron": "@daily"}))
    assert item["loc"] == ["body", "cron_expression"]
    assert "expected 5" in item["msg"]
    assert "did you mean '0 0 * * *'?" in item["msg"]
    assert item["ctx"]["suggestion"] == "0 0 * * *"
    assert len(item["ctx"]["next_runs"]) == 5


def test_a_seconds_field_is_refused_with_the_five_others(client: ApiClient) -> None:
    created = client.post("/api/auto-updates", json={"environment_id": 1, "container_name": "w"})
    url = f"/api/auto-updates/{created.json()['id']}"
    change = {"schedule_type": "custom", "cron": "0 30 4 * * *"}
    for method in ("PATCH", "PUT"):
        item = _refusal(client.request(method, url, json=change))
        assert (item["loc"], item["ctx"]["suggestion"]) == (
            ["body", "cron_expression"],
            "30 4 * * *",
        )


def test_a_refusal_without_an_equivalent_only_says_why(client: ApiClient) -> None:
    body = {"environment_id": 1, "container_name": "web", "schedule_type": "custom"}
    item = _refusal(client.post("/api/auto-updates", json={**body, "cron": "0 24 * * *"}))
    assert "hour field" in item["msg"]
    assert "ctx" not in item


def test_describe_offers_the_equivalent_too(client: ApiClient) -> None:
    item = _refusal(client.get("/api/cron/describe", params={"expr": "@hourly"}))
    assert (item["loc"], item["ctx"]["suggestion"]) == (["query", "expr"], "0 * * * *")
