"""``/api/auto-updates`` over fakes: what is taken, what is shown, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.domain.environments import Endpoint, NewEnvironment
from tests.support.api import ApiClient
from tests.unit.api.fakes import Fakes

URL = "/api/auto-updates"
CRON = ["body", "cron_expression"]
#: What the settings form of the product's first description posts, exactly.
SEED_BODY = {
    "container_name": "web",
    "schedule_type": "daily",
    "cron_expression": "0 3 * * *",
    "vulnerability_criteria": "never",
}


@pytest.fixture(autouse=True)
def local(fakes: Fakes) -> None:
    fakes.environments.create(NewEnvironment("local", Endpoint("unix:///var/run/docker.sock")))


def _create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json={"environment_id": 1, "container_name": "web", **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _errors(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(item["loc"], item["msg"]) for item in response.json()["detail"]]


def test_create_takes_the_product_defaults_and_shows_the_daily_cron(client: ApiClient) -> None:
    created = _create(client)
    assert created["schedule_type"] == "daily"
    assert created["cron_expression"] == "0 3 * * *"
    assert created["timezone"] == "UTC"
    assert created["vulnerability_criteria"] == "inherit"
    assert created["policy"] == "digest"
    assert created["gate"]["unknown_as"] == "critical"
    assert created["enabled"] is True
    assert client.get(f"{URL}/{created['id']}").json() == created


def test_create_answers_with_the_location_of_the_new_setting(client: ApiClient) -> None:
    response = client.post(URL, json={"environment_id": 1, "container_name": "/web"})
    assert response.headers["Location"] == f"{URL}/1"
    assert response.json()["container_name"] == "web"


def test_a_custom_schedule_keeps_its_cron_normalised(client: ApiClient) -> None:
    created = _create(client, schedule_type="custom", cron_expression="*/15  2-5 * * mon-fri")
    assert created["cron_expression"] == "*/15 2-5 * * mon-fri"


@pytest.mark.parametrize(
    ("fields", "loc", "words"),
    [
        ({"schedule_type": "custom", "cron_expression": "61 * * * *"}, CRON, "minute field"),
        ({"schedule_type": "custom", "cron": "61 * * * *"}, CRON, "minute field"),
        ({"schedule_type": "custom", "cron_expression": "* * *"}, CRON, "expected 5"),
        ({"schedule_type": "custom", "cron_expression": "@daily"}, CRON, "expected 5"),
        ({"schedule_type": "custom"}, CRON, "needs a cron expression"),
        ({"cron_expression": "0 5 * * *"}, CRON, "choose schedule_type custom"),
        ({"cron": "0 5 * * *", "cron_expression": "0 3 * * *"}, ["body"], "not both"),
        ({"vulnerability_criteria": "severe"}, ["body", "vulnerability_criteria"], "inherit"),
        ({"timezone": "Mars/Olympus_Mons"}, ["body", "timezone"], "IANA time zone"),
        ({"schedule_type": "hourly"}, ["body", "schedule_type"], "daily"),
        ({"criteria": "severe"}, ["body", "criteria"], "critical"),
        ({"container_name": ""}, ["body", "container_name"], "pattern"),
        ({"gate": {"unknown_as": "x"}}, ["body", "gate", "unknown_as"], "ignore"),
        ({"container_name": "-web"}, ["body", "container_name"], "pattern"),
        ({"environment_id": 0}, ["body", "environment_id"], "greater than"),
        ({"environment_id": 2**40}, ["body", "environment_id"], "less than"),
        ({"colour": "red"}, ["body", "colour"], "Extra inputs"),
    ],
)
def test_an_invalid_field_is_a_422_naming_it_and_why(
    client: ApiClient, fields: dict[str, Any], loc: list[str], words: str
) -> None:
    body = {"environment_id": 1, "container_name": "web", **fields}
    [(where, why)] = _errors(client.post(URL, json=body))
    assert where == loc
    assert words in why


def test_an_unknown_environment_is_a_422_naming_environment_id(client: ApiClient) -> None:
    [(where, why)] = _errors(client.post(URL, json={"environment_id": 9, "container_name": "web"}))
    assert where == ["body", "environment_id"]
    assert "there is no environment 9" in why


def test_a_second_setting_for_one_container_is_a_409_naming_it(client: ApiClient) -> None:
    _create(client)
    response = client.post(URL, json={"environment_id": 1, "container_name": "web"})
    assert response.status_code == 409
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "container_name"]
    assert item["type"] == "conflict"


def test_patch_changes_only_what_it_names(client: ApiClient) -> None:
    created = _create(client, schedule_type="custom", cron_expression="0 1 * * *", notify=False)
    changed = client.patch(f"{URL}/{created['id']}", json={"timezone": "Europe/Paris"}).json()
    assert (changed["cron_expression"], changed["timezone"], changed["notify"]) == (
        "0 1 * * *",
        "Europe/Paris",
        False,
    )


def test_patch_to_weekly_takes_the_weekly_cron(client: ApiClient) -> None:
    created = _create(client, schedule_type="custom", cron="0 1 * * *")
    changed = client.patch(f"{URL}/{created['id']}", json={"schedule_type": "weekly"}).json()
    assert (changed["schedule_type"], changed["cron_expression"]) == ("weekly", "0 3 * * 1")


def test_patch_merges_gate_options(client: ApiClient) -> None:
    created = _create(client, gate={"only_fixable": True})
    changed = client.patch(f"{URL}/{created['id']}", json={"gate": {"on_failure": "warn"}})
    assert changed.json()["gate"]["only_fixable"] is True
    assert changed.json()["gate"]["on_failure"] == "warn"


def test_patch_refuses_a_cron_for_a_daily_schedule(client: ApiClient) -> None:
    created = _create(client)
    response = client.patch(f"{URL}/{created['id']}", json={"cron": "0 5 * * *"})
    [(where, why)] = _errors(response)
    assert where == CRON
    assert "custom" in why


def test_put_replaces_everything_with_defaults_for_what_is_left_out(client: ApiClient) -> None:
    created = _create(client, notify=False, criteria="high")
    assert created["vulnerability_criteria"] == "high"
    replaced = client.put(f"{URL}/{created['id']}", json={"policy": "minor"}).json()
    assert (replaced["notify"], replaced["vulnerability_criteria"], replaced["policy"]) == (
        True,
        "inherit",
        "minor",
    )


def test_list_filters_by_environment_and_pages(client: ApiClient, fakes: Fakes) -> None:
    fakes.environments.create(NewEnvironment("other", Endpoint("tcp://docker.lan:2376")))
    for name in ("a", "b", "c"):
        _create(client, container_name=name)
    client.post(URL, json={"environment_id": 2, "container_name": "d"})
    assert [s["container_name"] for s in client.get(URL).json()] == ["a", "b", "c", "d"]
    assert len(client.get(URL, params={"environment_id": 2}).json()) == 1
    page = client.get(URL, params={"limit": 2, "offset": 1}).json()
    assert [s["container_name"] for s in page] == ["b", "c"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}])
def test_paging_out_of_range_is_a_422(client: ApiClient, params: dict[str, int]) -> None:
    [(where, _)] = _errors(client.get(URL, params=params))
    assert where == ["query", next(iter(params))]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_an_unknown_id_is_a_404(client: ApiClient, method: str) -> None:
    response = client.request(method, f"{URL}/7", json={})
    assert response.status_code == 404
    assert response.json() == {"detail": "auto-update setting 7 not found"}


@pytest.mark.parametrize("bad", ["abc", "0", "-1", str(2**31), "1.5"])
def test_a_malformed_id_is_a_422_naming_it(client: ApiClient, bad: str) -> None:
    [(where, _)] = _errors(client.get(f"{URL}/{bad}"))
    assert where == ["path", "setting_id"]


def test_delete_is_204_then_404(client: ApiClient) -> None:
    created = _create(client)
    first = client.delete(f"{URL}/{created['id']}")
    assert (first.status_code, first.content) == (204, b"")
    assert client.delete(f"{URL}/{created['id']}").status_code == 404


def test_run_now_answers_202_with_the_run_id_at_once(client: ApiClient, fakes: Fakes) -> None:
    created = _create(client)
    response = client.post(f"{URL}/{created['id']}/run")
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    assert response.headers["Location"] == f"/api/runs/{run_id}"
    assert fakes.runs.started == [created["id"]]


def test_run_now_of_an_unknown_setting_is_a_404(client: ApiClient) -> None:
    assert client.post(f"{URL}/5/run").status_code == 404


def test_a_lock_held_elsewhere_is_a_409(client: ApiClient, fakes: Fakes) -> None:
    created = _create(client)
    fakes.runs.locked.add(created["id"])
    response = client.post(f"{URL}/{created['id']}/run")
    assert response.status_code == 409
    [item] = response.json()["detail"]
    assert (item["loc"], item["type"]) == (["path", "setting_id"], "locked")
    assert "running" in item["msg"]


def test_the_settings_forms_body_is_taken_as_it_is(client: ApiClient) -> None:
    response = client.post(URL, json=SEED_BODY)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {key: created[key] for key in SEED_BODY} == SEED_BODY
    assert created["environment_id"] == 1  # local, as none was named
    custom = {**SEED_BODY, "container_name": "db", "schedule_type": "custom"}
    custom["cron_expression"] = "30 2 * * 0"
    assert client.post(URL, json=custom).json()["cron_expression"] == "30 2 * * 0"


def test_never_and_inherit_are_two_choices(client: ApiClient) -> None:
    never = _create(client, vulnerability_criteria="never")
    inherit = _create(client, container_name="db")
    assert (never["vulnerability_criteria"], inherit["vulnerability_criteria"]) == (
        "never",
        "inherit",
    )
    changed = client.patch(f"{URL}/{never['id']}", json={"criteria": "inherit"}).json()
    assert changed["vulnerability_criteria"] == "inherit"
