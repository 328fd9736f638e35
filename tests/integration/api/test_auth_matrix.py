"""Every route against the real token store (SQLite and PostgreSQL): no token and a bad one
are 401, a token without the route's permission 403 naming it, the permission alone enough."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from colibri.api import ApiServices
from colibri.domain.tokens import Permission
from colibri.services.runs import RunService
from tests.support.api import API_ROUTES, OPEN_ROUTES, ApiClient, bearer

PARAMS = {
    "setting_id": "1",
    "run_id": "a" * 32,
    "environment_id": "1",
    "target_id": "1",
    "token_id": "1",
    "skip_id": "1",
    "environment": "local",
    "name": "web",
}


def _url(path: str) -> str:
    url = path.format(**PARAMS)
    return url + "?expr=0+4+*+*+*" if url.endswith("/describe") else url


def _status(client: ApiClient, method: str, path: str, token: str | None) -> int:
    headers = bearer(token) if token else {"Authorization": ""}
    body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    return client.request(method, _url(path), headers=headers, **body).status_code


def _problems(
    client: ApiClient,
    token_for: Callable[..., str],
    method: str,
    path: str,
    needed: Permission | None,
) -> list[str]:
    """What is wrong with the answers of one route to each kind of token."""
    permission = needed or Permission.RUNS_READ
    others = token_for(*[p for p in Permission if p not in (permission, Permission.ADMIN)])
    problems = [
        f"{who}: {status}"
        for who, status, expected in (
            ("no token", _status(client, method, path, None), 401),
            ("unknown token", _status(client, method, path, "colibri_" + "x" * 43), 401),
            ("other permissions", _status(client, method, path, others), 403 if needed else None),
        )
        if (status != expected if expected else status in (401, 403))
    ]
    alone = _status(client, method, path, token_for(permission))
    if alone in (401, 403):
        problems.append(f"{permission} alone: {alone}")
    return [f"{method} {path}: {problem}" for problem in problems]


def test_every_route_asks_for_its_permission(
    app: FastAPI,
    api_services: ApiServices,
    token_for: Callable[..., str],
    make_api_client: Callable[..., ApiClient],
) -> None:
    client = make_api_client(app)
    endless = [route for route in API_ROUTES if route[1] == "/api/events"]
    wrong = [
        problem
        for method, path, needed in API_ROUTES
        if (method, path, needed) not in endless
        for problem in _problems(client, token_for, method, path, needed)
    ]
    assert isinstance(api_services.runs, RunService)
    api_services.runs.drain(0)  # the stream of every run ends when the service stops
    wrong += [
        problem
        for method, path, needed in endless
        for problem in _problems(client, token_for, method, path, needed)
    ]
    wrong += [
        f"{m} {p} needs a token"
        for m, p in OPEN_ROUTES
        if _status(client, m, p, None) in (401, 403)
    ]
    assert wrong == []
