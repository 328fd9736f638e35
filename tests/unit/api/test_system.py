"""Health, metrics, the cron helper, the OpenAPI document, and requests that are garbage."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.errors import EngineUnavailable, StoreError
from tests.support.api import ApiClient
from tests.unit.api.fakes import Fakes


def test_health_is_200_when_every_part_answers(client: ApiClient) -> None:
    response = client.get("/healthz", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"store": "ok", "daemon": "ok"}}


def test_health_is_503_naming_the_part_that_does_not_answer(
    client: ApiClient, fakes: Fakes
) -> None:
    fakes.health.parts["daemon"] = False
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"store": "ok", "daemon": "unavailable"},
    }


def test_metrics_are_prometheus_text(client: ApiClient, fakes: Fakes) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    assert response.content == fakes.metrics.text


def test_cron_describe_says_what_it_means_and_when(client: ApiClient) -> None:
    response = client.get("/api/cron/describe", params={"expr": " 0  4 * * 1-5 "})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expression"] == "0 4 * * 1-5"
    assert body["description"] == "cron 0 4 * * 1-5"
    assert len(body["next_runs"]) == 5


@pytest.mark.parametrize(
    ("expr", "words"),
    [("61 * * * *", "minute field '61'"), ("* * * *", "expected 5"), ("0 4 * * 8", "day-of-week")],
)
def test_an_invalid_cron_is_a_422_naming_expr_and_why(
    client: ApiClient, expr: str, words: str
) -> None:
    response = client.get("/api/cron/describe", params={"expr": expr})
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["query", "expr"]
    assert words in item["msg"]


def test_cron_describe_reads_a_time_zone(client: ApiClient) -> None:
    response = client.get(
        "/api/cron/describe", params={"expr": "0 4 * * *", "timezone": "Asia/Tokyo"}
    )
    assert response.status_code == 200
    response = client.get("/api/cron/describe", params={"expr": "0 4 * * *", "timezone": "Nowhere"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "timezone"]


def test_cron_describe_needs_the_expression(client: ApiClient) -> None:
    response = client.get("/api/cron/describe")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "expr"]


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"[]",
        b"null",
        b'"text"',
        b'{"environment_id": 1, "container_name": "\\ud800"}',
        b'{"environment_id": 1, "container_name": "web\\u0000"}',
        b"\xff\xfe",
        b'{"environment_id": 1e400, "container_name": "web"}',
        b'{"environment_id": true, "container_name": "web"}',
    ],
)
def test_a_body_that_is_garbage_is_a_422_in_the_usual_shape(
    client: ApiClient, content: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    response = client.post("/api/auto-updates", content=content, headers=headers)
    assert response.status_code == 422, response.text
    for item in response.json()["detail"]:
        assert set(item) == {"loc", "msg", "type"}
        assert item["loc"][0] == "body"


def test_the_input_is_never_echoed_in_a_422(client: ApiClient) -> None:
    body: dict[str, Any] = {"name": "x", "url": "json://a@b", "events": ["hunter2"]}
    response = client.post("/api/notifications", json=body)
    assert response.status_code == 422
    assert "hunter2" not in response.text
    assert set(response.json()["detail"][0]) == {"loc", "msg", "type"}


def test_a_failing_store_is_a_503_and_a_failing_daemon_a_502(
    client: ApiClient, fakes: Fakes
) -> None:
    fakes.containers.check_error = EngineUnavailable("cannot reach the daemon")
    response = client.post("/api/check")
    assert (response.status_code, response.json()) == (502, {"detail": "cannot reach the daemon"})
    fakes.containers.list_error = StoreError("disk I/O error")
    response = client.get("/api/containers")
    assert response.status_code == 503
    assert "disk" not in response.text


def test_openapi_documents_the_bearer_scheme_and_every_error(client: ApiClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if (method, path) == ("delete", "/api/session"):  # signing out needs no token
                assert {"403", "503"} <= codes, (method, path)
            elif path != "/healthz":
                assert {"401", "403", "503"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
    assert client.get("/docs").status_code == 200


def test_no_app_is_built_at_import() -> None:
    import colibri.api.app as module

    assert not [value for value in vars(module).values() if type(value).__name__ == "FastAPI"]


@pytest.mark.parametrize(
    ("url", "name"),
    [("/api/runs?enviroment=lan", "enviroment"), ("/healthz?verbose=1", "verbose")],
)
def test_an_unknown_query_parameter_is_a_422_naming_it(
    client: ApiClient, url: str, name: str
) -> None:
    response = client.get(url)
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert (item["loc"], item["type"]) == (["query", name], "extra_forbidden")
    assert "unknown query parameter" in item["msg"]
