"""A fault-injecting HTTP proxy in front of a real registry, switched at runtime by tests.

``FaultProxy(upstream)`` listens on 127.0.0.1 and forwards every request to the registry
(keeping the ``Host`` it was asked for, so the registry's own links point back at the proxy).
Tests add rules with :meth:`FaultProxy.inject`: a fault, optionally limited to a method, a path
regex and a number of uses; the first matching rule with uses left applies, else the request
passes through. Faults:

* ``Status(code, headers, body)``: answer without asking the registry (``Status(500)``);
  ``RateLimit(retry_after)`` is a 429 with ``Retry-After``;
* ``Hang(seconds)``: say nothing for ``seconds`` then drop the connection (client timeouts);
* ``DropHeader(name)`` / ``SetHeaders(headers)``: forward, then remove or set answer headers
  (no ``Docker-Content-Digest``; ``RateLimit-Remaining: 0;w=21600``; a schema1 Content-Type);
* ``CorruptBody()``: forward, then change the body but keep its digest header;
* ``Body(body, content_type, digest)``: answer 200 with this body (garbage, a pretty-printed
  manifest...), ``digest="auto"`` sets ``Docker-Content-Digest`` to the body's hash;
* ``Schema1()``: a schema1 ``prettyjws`` manifest;
* ``Paginate(page_size, style)``: serve ``tags/list`` in pages: ``style="link"`` relative
  ``Link`` with ``last=``, ``"bare"`` an absolute URL without angle brackets, an opaque
  ``next_page`` token and unquoted ``rel``, ``"none"`` no Link at all, ``"loop"`` a Link
  back to the first page;
* ``Redirect(location)``: answer 307 to ``location``;
* ``Custom(fn)``: ``fn(proxy, request) -> ProxyResponse``.

Every request is recorded (:meth:`FaultProxy.requests`, :meth:`FaultProxy.count`), with the
fault that answered it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

if TYPE_CHECKING:  # a runtime import would load the registry plugin before pytest does
    from tests.support.registry import RegistryServer

CLIENT_AGENT = "colibri/"


HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)
SCHEMA1_TYPE = "application/vnd.docker.distribution.manifest.v1+prettyjws"


@dataclass(frozen=True)
class ProxyRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


@dataclass
class ProxyResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    drop: bool = False  # close the connection without an answer


@dataclass
class Seen:
    """One request the proxy received, and what it answered (``status`` 0 until it has)."""

    method: str
    path: str
    query: str
    user_agent: str
    authorized: bool
    status: int
    fault: str


class Fault:
    """Base class: pass the request through unchanged."""

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        return proxy.forward(request)

    @property
    def name(self) -> str:
        return type(self).__name__


class Passthrough(Fault):
    pass


@dataclass
class Status(Fault):
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        headers = {"Content-Type": "application/json", **self.headers}
        return ProxyResponse(self.status, headers, self.body)


def RateLimit(retry_after: str | None = "120") -> Status:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
    return Status(429, headers, body)


@dataclass
class Hang(Fault):
    seconds: float = 10.0

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        proxy.stopping.wait(self.seconds)
        return ProxyResponse(0, {}, drop=True)


@dataclass
class DropHeader(Fault):
    header: str = "Docker-Content-Digest"

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        response = proxy.forward(request)
        response.headers = {
            k: v for k, v in response.headers.items() if k.lower() != self.header.lower()
        }
        return response


@dataclass
class SetHeaders(Fault):
    headers: Mapping[str, str]

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        response = proxy.forward(request)
        lowered = {name.lower() for name in self.headers}
        response.headers = {k: v for k, v in response.headers.items() if k.lower() not in lowered}
        response.headers.update(self.headers)
        return response


class CorruptBody(Fault):
    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        response = proxy.forward(request)
        if request.method != "HEAD":
            response.body = response.body + b" "
        return response


@dataclass
class Body(Fault):
    body: bytes
    content_type: str = "application/vnd.oci.image.manifest.v1+json"
    digest: str | None = "auto"
    status: int = 200

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        headers = {"Content-Type": self.content_type}
        if self.digest == "auto":
            headers["Docker-Content-Digest"] = "sha256:" + hashlib.sha256(self.body).hexdigest()
        elif self.digest:
            headers["Docker-Content-Digest"] = self.digest
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(self.body))
            return ProxyResponse(self.status, headers)
        return ProxyResponse(self.status, headers, self.body)


def Schema1() -> Body:
    body = json.dumps(
        {
            "schemaVersion": 1,
            "name": "x",
            "tag": "latest",
            "architecture": "amd64",
            "fsLayers": [],
            "history": [],
            "signatures": [],
        },
        indent=3,
    ).encode()
    return Body(body, content_type=SCHEMA1_TYPE)


@dataclass
class Redirect(Fault):
    location: str
    status: int = 307

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        return ProxyResponse(self.status, {"Location": self.location})


@dataclass
class Custom(Fault):
    fn: Callable[[FaultProxy, ProxyRequest], ProxyResponse]

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        return self.fn(proxy, request)


@dataclass
class Paginate(Fault):
    page_size: int = 2
    style: str = "link"

    def apply(self, proxy: FaultProxy, request: ProxyRequest) -> ProxyResponse:
        full = proxy.forward(ProxyRequest("GET", request.path, "", request.headers, b""))
        if full.status != 200:
            return full
        document = json.loads(full.body)
        tags = sorted(document.get("tags") or [])
        start = self._start(parse_qs(request.query), tags)
        page = tags[start : start + self.page_size]
        headers = {"Content-Type": "application/json"}
        link = self._link(proxy, request.path, tags, start, page)
        if link:
            headers["Link"] = link
        body = json.dumps({"name": document.get("name"), "tags": page}).encode()
        return ProxyResponse(200, headers, body)

    def _start(self, query: Mapping[str, list[str]], tags: list[str]) -> int:
        if "next_page" in query:
            return int(base64.urlsafe_b64decode(query["next_page"][0]).decode())
        if "last" in query:
            last = query["last"][0]
            return next((i + 1 for i, tag in enumerate(tags) if tag == last), len(tags))
        return 0

    def _link(
        self, proxy: FaultProxy, path: str, tags: list[str], start: int, page: list[str]
    ) -> str | None:
        more = start + self.page_size < len(tags)
        if self.style == "loop":
            return f'<{path}?n={self.page_size}>; rel="next"'
        if not more or self.style == "none":
            return None
        if self.style == "bare":
            token = base64.urlsafe_b64encode(str(start + self.page_size).encode()).decode()
            return f"{proxy.url}{path}?next_page={token}; rel=next"
        return f'<{path}?last={quote(page[-1])}&n={self.page_size}>; rel="next"'


@dataclass
class _Rule:
    fault: Fault
    method: str | None
    path: re.Pattern[str] | None
    times: int | None

    def matches(self, request: ProxyRequest) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and request.method != self.method:
            return False
        return self.path is None or bool(self.path.search(request.path))


class FaultProxy:
    """The proxy; ``url``/``host`` are what clients should talk to."""

    def __init__(self, upstream: RegistryServer) -> None:
        self.upstream = upstream
        self.stopping = threading.Event()
        self._rules: list[_Rule] = []
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._client = upstream.api_client()
        self._client.auth = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
    ) -> None:
        """Answer matching requests with ``fault`` (``times`` uses, or for ever)."""
        rule = _Rule(fault, method, re.compile(path) if path else None, times)
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        """Back to plain pass-through (the record of requests is kept)."""
        with self._lock:
            self._rules.clear()

    def requests(self, user_agent: str | None = CLIENT_AGENT) -> list[Seen]:
        with self._lock:
            seen = list(self._seen)
        if user_agent is None:
            return seen
        return [item for item in seen if item.user_agent.startswith(user_agent)]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests from our client, by method and path regex."""
        pattern = re.compile(path) if path else None
        return sum(
            1
            for item in self.requests()
            if (method is None or item.method == method)
            and (pattern is None or pattern.search(item.path))
        )

    def ref(self, repository: str, tag: str = "latest") -> str:
        return f"{self.host}/{repository}:{tag}"

    def forward(self, request: ProxyRequest) -> ProxyResponse:
        """Ask the registry, as it was asked of us."""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = request.headers.get("host", self.host)
        target = request.path + (f"?{request.query}" if request.query else "")
        answer = self._client.request(
            request.method, target, headers=headers, content=request.body or None
        )
        response_headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in HOP_BY_HOP or k.lower() == "content-length"
        }
        if request.method != "HEAD":
            response_headers.pop("content-length", None)
            response_headers.pop("Content-Length", None)
        return ProxyResponse(answer.status_code, response_headers, answer.content)

    def handle(self, request: ProxyRequest) -> ProxyResponse:
        fault: Fault = Passthrough()
        seen = Seen(
            request.method,
            request.path,
            request.query,
            request.headers.get("user-agent", ""),
            "authorization" in {k.lower() for k in request.headers},
            0,
            "",
        )
        with self._lock:
            self._seen.append(seen)  # counted on arrival: a hung request counts too
            for rule in self._rules:
                if rule.matches(request):
                    if rule.times is not None:
                        rule.times -= 1
                    fault = rule.fault
                    break
        seen.fault = fault.name
        response = fault.apply(self, request)
        seen.status = response.status
        return response


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = ProxyRequest(self.command, parts.path, parts.query, headers, body)
            response = proxy.handle(request)
            if response.drop:
                self.close_connection = True
                return
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(response.body)))
            elif not any(name.lower() == "content-length" for name in response.headers):
                self.send_header("Content-Length", "0")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def make_fault_proxy() -> Iterator[Callable[[RegistryServer], FaultProxy]]:
    """A factory: ``make_fault_proxy(server)`` starts a proxy in front of ``server``."""
    proxies: list[FaultProxy] = []

    def make(upstream: RegistryServer) -> FaultProxy:
        proxy = FaultProxy(upstream).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def fault_proxy(
    registry: RegistryServer, make_fault_proxy: Callable[[RegistryServer], FaultProxy]
) -> FaultProxy:
    """A fault proxy in front of the anonymous ``registry``, pass-through until told."""
    return make_fault_proxy(registry)


def json_body(data: Any) -> bytes:
    return json.dumps(data).encode()
