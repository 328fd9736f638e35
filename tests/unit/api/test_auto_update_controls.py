"""A setting's maintenance window and minimum age through ``/api/auto-updates``."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.domain.environments import Endpoint, NewEnvironment
from tests.support.api import ApiClient
from tests.unit.api.fakes import Fakes

URL = "/api/auto-updates"


@pytest.fixture(autouse=True)
def local(fakes: Fakes) -> None:
    fakes.environments.create(NewEnvironment("local", Endpoint("unix:///var/run/docker.sock")))


def _create(client: ApiClient, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json={"environment_id": 1, "container_name": "web", **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_window_and_min_age_are_kept_patched_and_cleared(client: ApiClient) -> None:
    created = _create(client, window=" Sat,Sun 02:00-05:00 Europe/Paris ", min_age="3d")
    assert created["window"] == "Sat,Sun 02:00-05:00 Europe/Paris"
    assert created["min_age"] == "3d"
    patched = client.patch(f"{URL}/{created['id']}", json={"window": "off"}).json()
    assert (patched["window"], patched["min_age"]) == ("off", "3d")
    cleared = client.patch(f"{URL}/{created['id']}", json={"window": "", "min_age": ""}).json()
    assert (cleared["window"], cleared["min_age"]) == (None, None)


def test_defaults_inherit() -> None:
    from colibri.domain.settings import AutoUpdateConfig

    assert (AutoUpdateConfig().window, AutoUpdateConfig().min_age) == (None, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("window", "Sam 02:00-05:00", "'Sam' is not a day"),
        ("window", "Sat 02:00-02:00", "same time"),
        ("min_age", "soon", "not a duration"),
    ],
)
def test_bad_values_are_a_422_naming_the_field(
    client: ApiClient, field: str, value: str, message: str
) -> None:
    response = client.post(URL, json={"environment_id": 1, "container_name": "web", field: value})
    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", field]
    assert message in item["msg"]
