"""One HTTP exchange with a registry: TLS per host, retries, rate limits, counting, logging.

This is the only module that touches httpx. Everything httpx raises is translated here
(network failures and timeouts become ``RegistryUnavailable``, a failed TLS verification a
plain ``RegistryError`` saying how to trust the host), so no httpx exception leaves the package.
Waits go through the injected ``Clock``.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from colibri.domain.ports import Clock
from colibri.errors import (
    RateLimited,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailable,
)
from colibri.registry.manifests import error_summary
from colibri.registry.ratelimits import (
    RetryPolicy,
    backoff_delay,
    parse_rate_limit,
    parse_retry_after,
)
from colibri.registry.state import RegistryState
from colibri.registry.tls import TLSPolicy

__all__ = [
    "ERROR_BODY_MAX",
    "MAX_REDIRECTS",
    "Exchange",
    "Outgoing",
    "Reply",
    "redirect_target",
    "send_following",
    "without_authorization",
]

logger = logging.getLogger(__name__)

#: Bytes of an error answer kept for its message; the rest is not read.
ERROR_BODY_MAX = 64 * 1024
_NOT_TRANSIENT_5XX = frozenset({501, 505})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request to send. ``max_bytes`` caps a successful body (H9)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] | None = None
    max_bytes: int = 4 * 1024 * 1024
    token: bool = False

    def to(self, url: str, headers: Mapping[str, str]) -> Outgoing:
        """The same request to another URL (a redirect) with other headers."""
        method = "GET" if self.method == "POST" else self.method
        return Outgoing(method, url, headers, None, self.max_bytes, self.token)

    def with_headers(self, headers: Mapping[str, str]) -> Outgoing:
        return Outgoing(self.method, self.url, headers, self.form, self.max_bytes, self.token)


@dataclass(frozen=True, slots=True)
class Reply:
    """A registry's answer with its (capped) body already read."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def header_list(self, name: str) -> list[str]:
        return self.headers.get_list(name)

    def speaks_https(self) -> bool:
        """A Go server's answer to plain HTTP on its TLS port."""
        return self.status == 400 and b"HTTP request to an HTTPS server" in self.body

    def describe(self) -> str:
        """``HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)`` for messages."""
        summary = error_summary(self.body)
        return f"HTTP {self.status}" + (f" ({summary})" if summary else "")


class Exchange:
    """Sends requests with retries and per-registry limits. Thread-safe."""

    def __init__(
        self,
        *,
        tls: TLSPolicy,
        transport: httpx.BaseTransport | None,
        timeout: httpx.Timeout,
        user_agent: str,
        retry: RetryPolicy,
        clock: Clock,
        trust_env: bool = True,
    ) -> None:
        self.tls = tls
        self.retry = retry
        self.clock = clock
        self._transport = transport
        self._timeout = timeout
        self._user_agent = user_agent
        self._trust_env = trust_env
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def base_url(self, netloc: str) -> str:
        return f"{self.tls.scheme(netloc)}://{netloc}"

    def send(self, out: Outgoing, registry: RegistryState) -> Reply:
        """Send ``out``, retrying 429 and transient failures within the retry policy."""
        waited = 0.0
        throttles = failures = 0
        while True:
            registry.check_deferred(self.clock.monotonic())
            try:
                reply = self._send_once(out, registry)
            except RegistryUnavailable as exc:
                failures += 1
                self._pause_after_failure(failures, registry, exc)
                continue
            if reply.status == 429:
                throttles += 1
                waited += self._pause_after_throttle(reply, throttles, waited, registry)
                continue
            if reply.status >= 500 and reply.status not in _NOT_TRANSIENT_5XX:
                failures += 1
                self._pause_after_failure(failures, registry, _unavailable(out, reply, registry))
                continue
            return reply

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _pause_after_failure(
        self, failures: int, registry: RegistryState, error: RegistryUnavailable
    ) -> None:
        if failures >= self.retry.transient_attempts:
            raise error
        delay = self.retry.transient_delay * (2 ** (failures - 1))
        logger.debug("%s; retrying in %.1f s", error, delay)
        registry.count_retry()
        self.clock.sleep(delay)

    def _pause_after_throttle(
        self, reply: Reply, throttles: int, waited: float, registry: RegistryState
    ) -> float:
        """Sleep before retrying a 429, or defer the registry and raise ``RateLimited``."""
        registry.count_throttled()
        retry_after = parse_retry_after(reply.headers.get("retry-after"), self.clock.now())
        policy = self.retry
        wait = retry_after
        if wait is None:
            wait = backoff_delay(throttles, initial=policy.backoff_initial, cap=policy.backoff_cap)
        if throttles >= policy.rate_limit_attempts or waited + wait > policy.wait_budget:
            reason = f"HTTP 429 from {reply.netloc}, retry after {wait:.0f} s"
            registry.defer(self.clock.monotonic() + wait, reason)
            logger.warning("registry %s rate-limited us: deferred for %.0f s", registry.key, wait)
            raise RateLimited(
                f"{registry.key} is rate-limiting requests ({reply.describe()}); "
                f"deferred for {wait:.0f} s",
                registry=registry.key,
                retry_after=wait,
            )
        logger.debug("HTTP 429 from %s; retrying in %.1f s", reply.netloc, wait)
        registry.count_retry()
        self.clock.sleep(wait)
        return wait

    def _send_once(self, out: Outgoing, registry: RegistryState) -> Reply:
        client = self._client_for(out.url)
        try:
            request = client.build_request(
                out.method, out.url, headers=dict(out.headers), data=out.form
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise RegistryProtocolError(f"cannot request {out.url[:200]!r}: {exc}") from None
        with registry.slots:
            registry.count_request(out.method, token=out.token)
            reply = self._transmit(client, request, out)
        logger.debug("%s %s -> %d", out.method, out.url, reply.status)
        status = parse_rate_limit(reply.headers)
        if status is not None and not out.token:
            registry.record_rate_limit(status)
        return reply

    def _transmit(self, client: httpx.Client, request: httpx.Request, out: Outgoing) -> Reply:
        try:
            response = client.send(request, stream=True)
            try:
                body = self._read_body(response, out)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise RegistryUnavailable(
                f"{out.method} {out.url} timed out ({type(exc).__name__})"
            ) from None
        except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL) as exc:
            raise _translate(exc, out, self.tls) from None
        return Reply(response.status_code, response.headers, body, str(request.url))

    def _read_body(self, response: httpx.Response, out: Outgoing) -> bytes:
        if out.method == "HEAD":
            return b""
        success = response.status_code < 300
        limit = out.max_bytes if success else ERROR_BODY_MAX
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                if success:
                    raise RegistryProtocolError(
                        f"{out.method} {out.url}: answer larger than {limit} bytes"
                    )
                chunks.append(chunk[: limit - (total - len(chunk))])
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def _client_for(self, url: str) -> httpx.Client:
        netloc = urlsplit(url).netloc.lower()
        key = "*" if self._transport is not None else f"{urlsplit(url).scheme}://{netloc}"
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._make_client(url, netloc)
            return client

    def _make_client(self, url: str, netloc: str) -> httpx.Client:
        verify: ssl.SSLContext | bool = True
        if self._transport is None and url.startswith("https:"):
            verify = self.tls.ssl_context(netloc)
        return httpx.Client(
            transport=self._transport,
            verify=verify,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=self._trust_env,
            headers={"User-Agent": self._user_agent},
        )


def _unavailable(out: Outgoing, reply: Reply, registry: RegistryState) -> RegistryUnavailable:
    return RegistryUnavailable(
        f"{out.method} {out.url} failed: {reply.describe()}", registry=registry.key
    )


def _translate(exc: Exception, out: Outgoing, tls: TLSPolicy) -> RegistryError:
    """Turn an httpx failure into ours; TLS trust problems are not transient."""
    ssl_error = _ssl_cause(exc)
    netloc = urlsplit(out.url).netloc
    if ssl_error is not None:
        hint = ""
        if isinstance(ssl_error, ssl.SSLCertVerificationError) and tls.certs_dir is not None:
            hint = f"; to trust it put its CA in {tls.certs_dir / netloc.lower()}/ca.crt"
        return RegistryError(f"TLS with {netloc} failed: {ssl_error}{hint}")
    detail = str(exc) or type(exc).__name__
    return RegistryUnavailable(f"{out.method} {out.url} failed: {detail}")


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5


def redirect_target(reply: Reply) -> str | None:
    """The absolute URL a redirect answer points to, or ``None``."""
    location: str | None = reply.headers.get("location")
    if reply.status not in REDIRECT_STATUSES or not location:
        return None
    try:
        target = urljoin(reply.url, location)
        parts = urlsplit(target)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistryProtocolError(f"{reply.url} redirects to an invalid URL {location[:200]!r}")
    return target


def without_authorization(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() != "authorization"}


def send_following(exchange: Exchange, out: Outgoing, registry: RegistryState) -> Reply:
    """Send with redirects followed; ``Authorization`` is dropped when the host changes."""
    origin = urlsplit(out.url).netloc.lower()
    current = out
    for _ in range(MAX_REDIRECTS + 1):
        reply = exchange.send(current, registry)
        target = redirect_target(reply)
        if target is None:
            return reply
        same_host = urlsplit(target).netloc.lower() == origin
        current = current.to(
            target, current.headers if same_host else without_authorization(current.headers)
        )
    raise RegistryProtocolError(f"{out.url}: more than {MAX_REDIRECTS} redirects")
