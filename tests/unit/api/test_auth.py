"""Who may call what: 401 without a valid token, 403 without the route's permission."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from colibri.domain.tokens import Permission
from tests.support.api import API_ROUTES, OPEN_ROUTES, ApiClient, bearer
from tests.unit.api.fakes import NOW, Fakes

P = Permission
RUN = "a" * 32

ROUTES = API_ROUTES
OPEN = OPEN_ROUTES
PARAMS = {
    "setting_id": "1",
    "run_id": RUN,
    "environment_id": "1",
    "target_id": "1",
    "token_id": "1",
    "environment": "local",
    "name": "web",
    "skip_id": "1",
}
WRITES = {"POST", "PUT", "PATCH"}
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]
GUARDED = [route for route in ROUTES if route[2] is not None]


def _url(path: str) -> str:
    url = path.format(**PARAMS)
    return url + "?expr=0+4+*+*+*" if url.endswith("/describe") else url


def _send(client: ApiClient, method: str, path: str, token: str | None) -> int:
    headers = bearer(token) if token else {}
    body = {"json": {}} if method in WRITES else {}
    response = client.request(method, _url(path), headers=headers, **body)
    return response.status_code


def test_the_table_lists_every_route_of_the_app(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    served = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert served == {(m, p) for m, p, _ in ROUTES} | set(OPEN)


@pytest.mark.parametrize(("method", "path", "permission"), ROUTES, ids=ROUTE_IDS)
def test_no_token_is_401_with_a_bearer_challenge(
    app: FastAPI,
    make_api_client: Callable[..., ApiClient],
    method: str,
    path: str,
    permission: Permission | None,
) -> None:
    client = make_api_client(app)
    body = {"json": {}} if method in WRITES else {}
    response = client.request(method, _url(path), **body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "token" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-known-token",
        "Bearer revoked-token",
        "Bearer expired-token",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "colibri_admin-secret-for-the-unit-tests",
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/runs"), ("POST", "/api/check")])
def test_an_invalid_revoked_or_expired_token_is_401(
    app: FastAPI,
    fakes: Fakes,
    make_api_client: Callable[..., ApiClient],
    header: str,
    method: str,
    path: str,
) -> None:
    fakes.tokens.add("revoked-token", P.ADMIN, revoked_at=NOW)
    fakes.tokens.add("expired-token", P.ADMIN, expires_at=NOW)
    response = make_api_client(app).request(method, path, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "permission"), GUARDED, ids=lambda v: str(v))
def test_every_other_permission_is_403_naming_the_one_needed(
    app: FastAPI,
    fakes: Fakes,
    make_api_client: Callable[..., ApiClient],
    method: str,
    path: str,
    permission: Permission,
) -> None:
    others = [p for p in Permission if p not in (permission, P.ADMIN)]
    fakes.tokens.add("almost", *others)
    assert _send(make_api_client(app), method, path, "almost") == 403
    detail = make_api_client(app, "almost").request(method, _url(path), json={}).json()
    assert detail == {"detail": f"this API token lacks the permission {permission}"}


@pytest.mark.parametrize(("method", "path", "permission"), ROUTES, ids=ROUTE_IDS)
def test_the_permission_alone_is_enough(
    app: FastAPI,
    fakes: Fakes,
    make_api_client: Callable[..., ApiClient],
    method: str,
    path: str,
    permission: Permission | None,
) -> None:
    fakes.tokens.add("just-this", permission or P.RUNS_READ)
    assert _send(make_api_client(app), method, path, "just-this") not in (401, 403)


def test_health_needs_no_token(app: FastAPI, make_api_client: Callable[..., ApiClient]) -> None:
    assert make_api_client(app).get("/healthz").status_code == 200


def test_the_token_is_never_logged(
    client: ApiClient, fakes: Fakes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    client.get("/api/runs")
    client.get("/api/runs", headers=bearer("colibri_wrong-secret-value"))
    assert client.token is not None
    for secret in (client.token, "colibri_wrong-secret-value"):
        assert secret not in caplog.text
