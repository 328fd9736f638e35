"""A notification sink: a small threaded HTTP server on 127.0.0.1 that records what it receives.

``NotifySink`` answers every request ``200`` and records it (method, path with query, headers,
body, and the status it answered). Tests make it misbehave for the next requests:

* ``sink.fail(times, status=500)``: answer ``status`` to the next ``times`` requests;
* ``sink.hang(seconds, times=1)``: say nothing for ``seconds`` (client timeouts), then answer.

``sink.url(path)`` is an Apprise ``json://`` URL pointing at it, optionally with credentials,
so the tests drive the real Apprise plugin over a real socket. ``dead_url()`` is a ``json://``
URL where nothing listens (connection refused).

This plugin also lets Apprise load: its PGP helper imports the standard ``imghdr`` module, which
warns about its removal in Python 3.13, and the suite turns warnings into errors.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore:'imghdr' is deprecated:DeprecationWarning")


@dataclass(frozen=True)
class Received:
    """One request the sink received, and the status it answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Misbehaviour:
    status: int = 200
    delay: float = 0.0


class NotifySink:
    """See the module docstring. Use as a context manager or call ``start``/``stop``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan: list[_Misbehaviour] = []
        self._received: list[Received] = []
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> NotifySink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> NotifySink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(
        self, path: str = "/hook", *, user: str = "", password: str = "", query: str = ""
    ) -> str:
        """A ``json://`` Apprise URL for this sink."""
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        return f"json://{auth}127.0.0.1:{self.port}{path}{query}"

    def fail(self, times: int, status: int = 500) -> None:
        with self._lock:
            self._plan.extend(_Misbehaviour(status=status) for _ in range(times))

    def hang(self, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._plan.extend(_Misbehaviour(delay=seconds) for _ in range(times))

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def delivered(self) -> list[Received]:
        """The requests answered with a 2xx status."""
        return [request for request in self.received if 200 <= request.status < 300]

    def _next(self) -> _Misbehaviour:
        with self._lock:
            return self._plan.pop(0) if self._plan else _Misbehaviour()

    def _record(self, request: Received) -> None:
        with self._lock:
            self._received.append(request)


def _handler_for(sink: NotifySink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            plan = sink._next()
            headers = {key.lower(): value for key, value in self.headers.items()}
            sink._record(Received(self.command, self.path, headers, body, plan.status))
            if plan.delay and sink._released.wait(plan.delay):
                return
            try:
                self.send_response(plan.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the client gave up waiting
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def dead_url(path: str = "/dead") -> str:
    """A ``json://`` URL on a loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"json://127.0.0.1:{port}{path}"


@pytest.fixture
def notify_sink() -> Iterator[NotifySink]:
    """A running sink, stopped after the test."""
    with NotifySink() as sink:
        yield sink
