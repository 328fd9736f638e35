"""The HTTP layer's own defences, as plain ASGI middleware (each wraps any ASGI app, so they
compose with whatever else the app adds, such as browser sessions).

* :class:`SecurityHeaders` puts the same headers on every answer, errors and streams
  included: a Content-Security-Policy, ``X-Content-Type-Options: nosniff``, frame denial
  (``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``) and ``Referrer-Policy:
  no-referrer``. A route that must differ (the OpenAPI pages) gets a policy of its own by
  path prefix.
* :class:`BodyLimit` refuses a request body larger than the limit with 413 before any route
  (and so before authentication) sees it: a declared ``Content-Length`` over the limit is
  refused without reading a byte; a body sent without one is read only up to the limit.

The policy for the web UI: the single-page app is built by Vite into files served from the
same origin, so scripts come from ``'self'`` only (no inline script, no ``eval``). Styles
also allow ``'unsafe-inline'``: PrimeVue's themes insert ``<style>`` elements and ``style``
attributes at run time, which a stricter policy would break; styles cannot run code, so the
exception is limited to them. Images may be ``data:`` URLs (icons), connections go to the
same origin only (the API and its event streams).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["APP_POLICY", "DOCS_POLICY", "BodyLimit", "SecurityHeaders"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The Content-Security-Policy of every answer but the OpenAPI pages (see the module's text).
APP_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
#: The OpenAPI pages (``/docs``, ``/redoc``): their HTML starts Swagger UI with an inline
#: script and loads it from its CDN; they show nothing but the API's description.
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
_DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds the security headers to every HTTP answer; ``policies`` maps path prefixes to
    the Content-Security-Policy they get instead of ``policy`` (the first match wins)."""

    def __init__(
        self,
        app: Asgi,
        *,
        policy: str = APP_POLICY,
        policies: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.policies = dict.fromkeys(_DOCS_PATHS, DOCS_POLICY) if policies is None else policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self._headers(str(scope.get("path") or "/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _OURS]
                message["headers"] = given + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        policy = next(
            (value for prefix, value in self.policies.items() if path.startswith(prefix)),
            self.policy,
        )
        return [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]


_OURS = frozenset(
    {
        b"content-security-policy",
        b"x-content-type-options",
        b"x-frame-options",
        b"referrer-policy",
        b"cross-origin-opener-policy",
    }
)


class BodyLimit:
    """413 for a request body over ``limit`` bytes, before the app reads any of it."""

    def __init__(self, app: Asgi, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(send)
            return
        body, more = await self._read(receive)
        if body is None:
            await self._refuse(send)
            return
        await self.app(scope, _replay(body, more, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes | None, bool]:
        """The whole body (``None`` once it passes the limit), and whether the client
        disconnected while it was read."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.limit:
                return None, False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    async def _refuse(self, send: Send) -> None:
        detail = f"the request body is larger than {self.limit} bytes"
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    """The declared body length; an unreadable one counts as too large."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else 2**62
    return None


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body already read, then the real channel (for
    the disconnect an event stream waits for)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
