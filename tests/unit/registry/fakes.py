"""Test doubles for the registry client: a controllable clock and a routed MockTransport."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from colibri.registry import RegistryClient, RetryPolicy

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ACCEPT = f"{OCI_INDEX}, {DOCKER_LIST}, {OCI_MANIFEST}, {DOCKER_MANIFEST}"
HOST = "registry.example"
BASE = f"https://{HOST}"


class FakeClock:
    """Time that moves only when told to, or when something sleeps."""

    def __init__(self) -> None:
        self.wall = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
        self.mono = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += timedelta(seconds=seconds)


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def manifest_body(marker: str = "x", *, media_type: str | None = OCI_MANIFEST) -> bytes:
    config = digest_of(marker.encode())
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config,
            "size": 10,
        },
        "layers": [],
    }
    if media_type:
        document["mediaType"] = media_type
    return json.dumps(document).encode()


def index_body(children: Sequence[Mapping[str, Any]], media_type: str = OCI_INDEX) -> bytes:
    return json.dumps(
        {"schemaVersion": 2, "mediaType": media_type, "manifests": list(children)}
    ).encode()


def manifest_response(
    body: bytes,
    media_type: str = OCI_MANIFEST,
    *,
    digest: str | None = "auto",
    head: bool = False,
    headers: Mapping[str, str] | None = None,
    status: int = 200,
) -> httpx.Response:
    all_headers = {"Content-Type": media_type, **(headers or {})}
    if digest == "auto":
        all_headers["Docker-Content-Digest"] = digest_of(body)
    elif digest:
        all_headers["Docker-Content-Digest"] = digest
    if head:
        all_headers["Content-Length"] = str(len(body))
        return httpx.Response(status, headers=all_headers)
    return httpx.Response(status, headers=all_headers, content=body)


Responder = httpx.Response | Callable[[httpx.Request], httpx.Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    responses: list[Responder]
    host: str | None = None
    used: int = 0


@dataclass
class MockRegistry:
    """Routes requests by method and URL regex; each route's answers are used in order and
    the last one repeats. ``GET /v2/`` answers 200 unless a test routes it."""

    routes: list[Route] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, method: str, url_regex: str, *responses: Responder) -> MockRegistry:
        self.routes.insert(0, Route(method, re.compile(url_regex), list(responses)))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            route = next((r for r in self.routes if self._matches(r, request)), None)
            if route is None:
                if request.method == "GET" and request.url.path == "/v2/":
                    return httpx.Response(200)
                return httpx.Response(404, json={"errors": [{"code": "NOT_ROUTED"}]})
            responder = route.responses[min(route.used, len(route.responses) - 1)]
            route.used += 1
        return responder(request) if callable(responder) else _copy(responder)

    def _matches(self, route: Route, request: httpx.Request) -> bool:
        return route.method == request.method and bool(route.pattern.search(str(request.url)))

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def sent(self, method: str | None = None, url_regex: str | None = None) -> list[httpx.Request]:
        pattern = re.compile(url_regex) if url_regex else None
        with self.lock:
            requests = list(self.requests)
        return [
            r
            for r in requests
            if (method is None or r.method == method)
            and (pattern is None or pattern.search(str(r.url)))
        ]

    def count(self, method: str | None = None, url_regex: str | None = None) -> int:
        return len(self.sent(method, url_regex))


def _copy(response: httpx.Response) -> httpx.Response:
    """A fresh response each time (an httpx.Response can be read once)."""
    return httpx.Response(response.status_code, headers=response.headers, content=response.content)


def make_client(
    mock: MockRegistry, clock: FakeClock | None = None, **kwargs: Any
) -> RegistryClient:
    kwargs.setdefault("retry", RetryPolicy())
    return RegistryClient(transport=mock.transport, clock=clock or FakeClock(), **kwargs)
