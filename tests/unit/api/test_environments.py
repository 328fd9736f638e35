"""``/api/environments`` over fakes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient

URL = "/api/environments"
TCP = {"url": "tcp://docker.lan:2376", "tls": {"ca": "lan/ca.pem"}}


def _create(client: ApiClient, name: str = "lan", **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json={"name": name, "endpoint": TCP, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_shows_the_environment_with_its_tls_files(client: ApiClient) -> None:
    created = _create(client, labels={"site": "paris"})
    assert created["endpoint"] == {
        "url": "tcp://docker.lan:2376",
        "tls": {"ca": "lan/ca.pem", "cert": None, "key": None, "verify": True},
        "insecure": False,
    }
    assert created["registry_credentials"] == "none"
    assert created["labels"] == {"site": "paris"}
    assert client.get(f"{URL}/{created['id']}").json() == created
    assert client.get(URL).json() == [created]


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        ({"endpoint": {"url": "http://docker:2375"}}, ["body", "endpoint", "url"], "scheme"),
        ({"endpoint": {"url": "tcp://docker"}}, ["body", "endpoint", "url"], "needs a port"),
        (
            {"endpoint": {"url": "ssh://me:pw@host"}},
            ["body", "endpoint", "url"],
            "takes no password",
        ),
        (
            {"endpoint": {"url": "unix:///run/docker.sock", "tls": {}}},
            ["body", "endpoint", "tls"],
            "tcp:// only",
        ),
        (
            {"endpoint": {"url": "tcp://h:1", "tls": {"ca": "/etc/ca.pem"}}},
            ["body", "endpoint", "tls", "ca"],
            "environment files directory",
        ),
        (
            {"endpoint": {"url": "tcp://h:1", "tls": {"ca": "../ca.pem"}}},
            ["body", "endpoint", "tls", "ca"],
            "environment files directory",
        ),
        (
            {"endpoint": {"url": "tcp://h:1"}},
            ["body", "endpoint", "tls"],
            "plain TCP",
        ),
        (
            {"endpoint": {"url": "ssh://-oProxyCommand=x@h"}},
            ["body", "endpoint", "url"],
            "must not start with '-'",
        ),
        ({"name": "a b"}, ["body", "name"], "pattern"),
        ({"labels": {"k": 1}}, ["body", "labels", "k"], "string"),
    ],
)
def test_an_invalid_field_is_a_422_naming_it(
    client: ApiClient, body: dict[str, Any], loc: list[str], words: str
) -> None:
    response = client.post(URL, json={"name": "lan", "endpoint": TCP, **body})
    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    assert item["loc"] == loc
    assert words in item["msg"]


def test_a_password_in_an_endpoint_is_never_echoed(client: ApiClient) -> None:
    response = client.post(URL, json={"name": "x", "endpoint": {"url": "ssh://me:hunter2@h"}})
    assert response.status_code == 422
    assert "hunter2" not in response.text


def test_a_taken_name_is_a_409_naming_it(client: ApiClient) -> None:
    _create(client)
    response = client.post(URL, json={"name": "lan", "endpoint": TCP})
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    second = _create(client, "other")
    renamed = client.patch(f"{URL}/{second['id']}", json={"name": "lan"})
    assert renamed.status_code == 409


def test_patch_keeps_what_it_does_not_name(client: ApiClient) -> None:
    created = _create(client, labels={"a": "b"})
    changed = client.patch(f"{URL}/{created['id']}", json={"name": "renamed"}).json()
    assert (changed["name"], changed["labels"], changed["endpoint"]) == (
        "renamed",
        {"a": "b"},
        created["endpoint"],
    )


def test_put_replaces_everything(client: ApiClient) -> None:
    created = _create(client, labels={"a": "b"})
    body = {"name": "lan", "endpoint": {"url": "ssh://ops@docker.lan"}}
    replaced = client.put(f"{URL}/{created['id']}", json=body).json()
    assert (replaced["labels"], replaced["endpoint"]["tls"]) == ({}, None)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_an_unknown_id_is_a_404(client: ApiClient, method: str) -> None:
    body = {"name": "x", "endpoint": TCP}
    response = client.request(method, f"{URL}/3", json=body)
    assert (response.status_code, response.json()) == (404, {"detail": "environment 3 not found"})


def test_delete_is_204(client: ApiClient) -> None:
    created = _create(client)
    assert client.delete(f"{URL}/{created['id']}").status_code == 204
    assert client.get(URL).json() == []
