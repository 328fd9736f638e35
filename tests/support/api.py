"""The REST API in tests: a synchronous client on the real ASGI app, and tokens for it.

:class:`ApiClient` sends requests through ``httpx.ASGITransport`` from an event loop of its
own (an anyio blocking portal), so tests stay synchronous without Starlette's ``TestClient``.
An exception the app does not turn into an answer is raised in the test, never hidden
behind a 500.

Fixtures: ``api_settings`` (``Settings`` on the test's data directory), and ``make_api_client``
(a factory: ``make_api_client(app, token)``). Test packages provide the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from colibri.config import Settings
from colibri.domain.tokens import Permission

__all__ = ["API_ROUTES", "BASE_URL", "OPEN_ROUTES", "ApiClient", "bearer"]

BASE_URL = "http://colibri.test"

#: Every operation of the API: (method, path, the permission it needs; ``None``: any valid
#: token). The specification the auth tests hold the app to.
API_ROUTES: list[tuple[str, str, Permission | None]] = [
    ("GET", "/api/auto-updates", Permission.SCHEDULES_READ),
    ("POST", "/api/auto-updates", Permission.SCHEDULES_CREATE),
    ("GET", "/api/auto-updates/{setting_id}", Permission.SCHEDULES_READ),
    ("PUT", "/api/auto-updates/{setting_id}", Permission.SCHEDULES_UPDATE),
    ("PATCH", "/api/auto-updates/{setting_id}", Permission.SCHEDULES_UPDATE),
    ("DELETE", "/api/auto-updates/{setting_id}", Permission.SCHEDULES_DELETE),
    ("POST", "/api/auto-updates/{setting_id}/run", Permission.UPDATES_RUN),
    ("GET", "/api/runs", Permission.RUNS_READ),
    ("GET", "/api/runs/{run_id}", Permission.RUNS_READ),
    ("GET", "/api/runs/{run_id}/events", Permission.RUNS_READ),
    ("GET", "/api/events", Permission.RUNS_READ),
    ("GET", "/api/containers", Permission.CONTAINERS_READ),
    ("POST", "/api/check", Permission.UPDATES_RUN),
    ("GET", "/api/skips", Permission.CONTAINERS_READ),
    ("POST", "/api/skips", Permission.UPDATES_RUN),
    ("DELETE", "/api/skips", Permission.UPDATES_RUN),
    ("DELETE", "/api/skips/{skip_id}", Permission.UPDATES_RUN),
    ("GET", "/api/environments", Permission.ENVIRONMENTS_READ),
    ("POST", "/api/environments", Permission.ENVIRONMENTS_MANAGE),
    ("GET", "/api/environments/{environment_id}", Permission.ENVIRONMENTS_READ),
    ("PUT", "/api/environments/{environment_id}", Permission.ENVIRONMENTS_MANAGE),
    ("PATCH", "/api/environments/{environment_id}", Permission.ENVIRONMENTS_MANAGE),
    ("DELETE", "/api/environments/{environment_id}", Permission.ENVIRONMENTS_MANAGE),
    ("GET", "/api/notifications", Permission.NOTIFICATIONS_READ),
    ("POST", "/api/notifications", Permission.NOTIFICATIONS_MANAGE),
    ("GET", "/api/notifications/{target_id}", Permission.NOTIFICATIONS_READ),
    ("PUT", "/api/notifications/{target_id}", Permission.NOTIFICATIONS_MANAGE),
    ("PATCH", "/api/notifications/{target_id}", Permission.NOTIFICATIONS_MANAGE),
    ("DELETE", "/api/notifications/{target_id}", Permission.NOTIFICATIONS_MANAGE),
    ("POST", "/api/notifications/{target_id}/test", Permission.NOTIFICATIONS_MANAGE),
    ("GET", "/api/cron/describe", None),
    ("GET", "/api/tokens", Permission.ADMIN),
    ("POST", "/api/tokens", Permission.ADMIN),
    ("DELETE", "/api/tokens/{token_id}", Permission.ADMIN),
    ("GET", "/metrics", Permission.CONTAINERS_READ),
    ("GET", "/api/audit", Permission.AUDIT_READ),
    ("GET", "/api/bad-digests", Permission.CONTAINERS_READ),
    ("DELETE", "/api/containers/{environment}/{name}/bad-digests", Permission.UPDATES_RUN),
    ("POST", "/api/containers/{environment}/{name}/update", Permission.UPDATES_RUN),
    ("POST", "/api/updates", Permission.UPDATES_RUN),
]
#: The operations that need no token.
OPEN_ROUTES = [
    ("GET", "/healthz"),
    ("GET", "/api/session"),
    ("POST", "/api/session"),
    ("DELETE", "/api/session"),
]


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


class ApiClient:
    """Synchronous requests to an ASGI app; ``token`` is sent unless ``headers`` replace it."""

    def __init__(self, app: Any, token: str | None = None) -> None:
        self._stack = ExitStack()
        self._portal: BlockingPortal = self._stack.enter_context(start_blocking_portal())
        transport = httpx.ASGITransport(app=app)
        self._client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        self.token = token

    def close(self) -> None:
        """Close the client and stop its event loop."""
        self._portal.call(self._client.aclose)
        self._stack.close()

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one request and read its whole answer."""
        sent = {**(bearer(self.token) if self.token else {}), **(headers or {})}
        call = partial(self._client.request, method, url, headers=sent, **kwargs)
        return self._portal.call(call)

    def cookie(self, name: str) -> str | None:
        """A cookie the client holds (set by an answer), or ``None``."""
        return self._client.cookies.get(name)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """Settings whose data directory is the test's own; a client may present bad tokens
    without being throttled (the tests that send many are about permissions)."""
    return Settings(data_dir=tmp_path / "data", api_auth_failures=1_000_000)


@pytest.fixture
def make_api_client() -> Iterator[Callable[..., ApiClient]]:
    """``make_api_client(app, token=None)``: clients closed at the end of the test."""
    clients: list[ApiClient] = []

    def make(app: Any, token: str | None = None) -> ApiClient:
        client = ApiClient(app, token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
