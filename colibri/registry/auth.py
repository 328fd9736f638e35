"""Registry authentication: challenges, bearer tokens, Basic (docs/registry.md section 3).

Per host the authenticator learns the challenges once (from ``GET /v2/``, the "ping", or from a
401) and then authorises requests up front: Basic credentials directly, or a bearer token for
the request's scope, fetched once per (realm, service, sorted scopes, credential identity) and
reused until it nears expiry. A 401 evicts the token used and re-authorises once; a challenge
with ``error="insufficient_scope"`` widens the scope to the one it names.

Token requests: ``GET <realm>?service=..&scope=..`` with the credentials as HTTP Basic (service
omitted when the challenge has none), or, for an identity/refresh token, the OAuth2
``POST <realm>`` with ``grant_type=refresh_token`` and a fallback to the GET when the server has
no OAuth2 endpoint (404). Credentials are only ever sent to an ``https`` realm, or to a loopback
or operator-listed insecure host.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

from colibri.domain.ports import Clock
from colibri.errors import (
    CredentialError,
    RegistryAuthError,
    RegistryError,
    RegistryProtocolError,
)
from colibri.registry.cache import SingleFlight, fresh_copy
from colibri.registry.challenges import Challenge, parse_challenges
from colibri.registry.credentials import Credential, CredentialSource, normalise_registry_key
from colibri.registry.exchange import Exchange, Outgoing, Reply, send_following
from colibri.registry.state import RegistryState
from colibri.registry.tls import is_loopback
from colibri.registry.tokens import Token, TokenCache, parse_token_response

__all__ = ["Authenticator", "Authorization"]

TOKEN_BODY_MAX = 1024 * 1024
_HOST_SPECIFIC = ("scope", "error")


@dataclass(frozen=True, slots=True)
class Authorization:
    """The ``Authorization`` header to send, and the cached token it came from (if any)."""

    header: str
    token_key: Hashable | None = None
    token: Token | None = None

    def __repr__(self) -> str:
        return f"Authorization({self.header.split(' ', 1)[0]} ***)"


class Authenticator:
    """Authorises requests for every registry host. Thread-safe; one per client."""

    def __init__(
        self,
        *,
        exchange: Exchange,
        credentials: CredentialSource,
        clock: Clock,
        client_id: str = "colibri",
    ) -> None:
        self._exchange = exchange
        self._credentials = credentials
        self._clock = clock
        self._client_id = client_id
        self._tokens = TokenCache()
        self._token_flight: SingleFlight[Hashable, Token] = SingleFlight()
        self._ping_flight: SingleFlight[str, tuple[Challenge, ...]] = SingleFlight()
        self._challenges: dict[str, tuple[Challenge, ...]] = {}
        self._credential_cache: dict[str, Credential | CredentialError | None] = {}
        self._credential_flight: SingleFlight[str, Credential | CredentialError | None] = (
            SingleFlight()
        )
        self._lock = threading.Lock()

    def authorization(
        self, netloc: str, scopes: tuple[str, ...], registry: RegistryState, *, ping: bool
    ) -> Authorization | None:
        """How to authorise a request to ``netloc`` up front (``ping``: learn it if unknown)."""
        challenges = self._known(netloc)
        if challenges is None:
            challenges = self._ping(netloc, registry) if ping else ()
        return self._authorise(challenges, netloc, scopes, registry)

    def reauthorise(
        self,
        reply: Reply,
        scopes: tuple[str, ...],
        registry: RegistryState,
        used: Authorization | None,
    ) -> Authorization | None:
        """After a 401 (or 403 ``insufficient_scope``): a better authorization, or ``None``."""
        netloc = reply.netloc.lower()
        challenges = tuple(parse_challenges(reply.header_list("www-authenticate")))
        if not challenges:
            challenges = self._ping(netloc, registry)  # A1: gcr.io sent 401 without a header
        if not challenges:
            return None
        self._remember(netloc, challenges)
        if used is not None and used.token is not None and used.token_key is not None:
            self._tokens.evict(used.token_key, used.token)
        wanted = _with_challenge_scopes(scopes, challenges)
        return self._authorise(challenges, netloc, wanted, registry)

    def credential(self, netloc: str) -> Credential | None:
        """The credentials for ``netloc``'s registry, looked up once per authenticator (a
        helper runs once even when many threads ask at the same moment)."""
        key = normalise_registry_key(netloc)

        def lookup() -> Credential | CredentialError | None:
            with self._lock:
                if key in self._credential_cache:
                    return self._credential_cache[key]
            try:
                found: Credential | CredentialError | None = self._credentials.lookup(key)
            except CredentialError as exc:
                found = exc
            with self._lock:
                self._credential_cache[key] = found
            return found

        with self._lock:
            known = self._credential_cache.get(key, _MISSING)
        answer = self._credential_flight.run(key, lookup) if known is _MISSING else known
        if isinstance(answer, CredentialError):
            raise fresh_copy(answer)
        return answer  # type: ignore[return-value]

    def _known(self, netloc: str) -> tuple[Challenge, ...] | None:
        with self._lock:
            return self._challenges.get(netloc.lower())

    def _remember(self, netloc: str, challenges: Iterable[Challenge]) -> None:
        general = tuple(_host_level(challenge) for challenge in challenges)
        with self._lock:
            self._challenges[netloc.lower()] = general

    def _ping(self, netloc: str, registry: RegistryState) -> tuple[Challenge, ...]:
        def ping() -> tuple[Challenge, ...]:
            url = f"{self._exchange.base_url(netloc)}/v2/"
            reply = send_following(self._exchange, Outgoing("GET", url), registry)
            found: tuple[Challenge, ...] = ()
            if reply.speaks_https():
                raise RegistryError(
                    f"{netloc} answers HTTPS only; to use TLS with it, put its CA in "
                    f"{self._exchange.tls.certs_dir}/{netloc}/ca.crt",
                    registry=registry.key,
                )
            if reply.status == 401:
                found = tuple(parse_challenges(reply.header_list("www-authenticate")))
            self._remember(netloc, found)
            return found

        known = self._known(netloc)
        return known if known is not None else self._ping_flight.run(netloc.lower(), ping)

    def _authorise(
        self,
        challenges: tuple[Challenge, ...],
        netloc: str,
        scopes: tuple[str, ...],
        registry: RegistryState,
    ) -> Authorization | None:
        bearer = next((c for c in challenges if c.scheme == "bearer"), None)
        if bearer is not None:
            return self._bearer(bearer, netloc, scopes, registry)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        if basic is None:
            return None
        credential = self.credential(netloc)
        pair = credential.basic_pair if credential is not None else None
        if pair is None:
            raise RegistryAuthError(
                f"{netloc} requires credentials (Basic realm {basic.realm or ''!r})",
                registry=registry.key,
                required=True,
            )
        return Authorization(header=basic_header(*pair))

    def _bearer(
        self, challenge: Challenge, netloc: str, scopes: tuple[str, ...], registry: RegistryState
    ) -> Authorization:
        if not challenge.realm:
            raise RegistryProtocolError(f"{netloc} sent a Bearer challenge without realm")
        credential = self.credential(netloc)
        all_scopes = tuple(sorted(set(scopes) | set(challenge.scopes)))
        identity = credential.identity if credential is not None else ""
        key = (challenge.realm, challenge.service, all_scopes, identity)
        token = self._tokens.get(key, self._clock.monotonic())
        if token is None:
            token = self._token_flight.run(
                key, lambda: self._new_token(key, challenge, all_scopes, credential, registry)
            )
        return Authorization(header=f"Bearer {token.value}", token_key=key, token=token)

    def _new_token(
        self,
        key: Hashable,
        challenge: Challenge,
        scopes: tuple[str, ...],
        credential: Credential | None,
        registry: RegistryState,
    ) -> Token:
        fresh = self._tokens.get(key, self._clock.monotonic())
        if fresh is not None:  # another caller fetched it while we queued
            return fresh
        realm = challenge.realm or ""
        self._check_realm(realm, credential, registry)
        token = None
        if credential is not None and credential.refresh_token:
            token = self._oauth2_token(realm, challenge.service, scopes, credential, registry)
        if token is None:
            pair = credential.basic_pair if credential is not None else None
            token = self._get_token(realm, challenge.service, scopes, pair, registry)
        self._tokens.put(key, token)
        return token

    def _check_realm(
        self, realm: str, credential: Credential | None, registry: RegistryState
    ) -> None:
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RegistryProtocolError(f"token realm {realm[:200]!r} is not an http(s) URL")
        if credential is None or parts.scheme == "https":
            return
        if is_loopback(parts.netloc) or self._exchange.tls.is_insecure(parts.netloc):
            return
        raise RegistryAuthError(
            f"refusing to send credentials for {registry.key} to a plain-HTTP token realm "
            f"{realm[:200]}",
            registry=registry.key,
        )

    def _get_token(
        self,
        realm: str,
        service: str | None,
        scopes: tuple[str, ...],
        pair: tuple[str, str] | None,
        registry: RegistryState,
    ) -> Token:
        query = ([("service", service)] if service else []) + [("scope", s) for s in scopes]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query) if query else realm
        headers = {"Authorization": basic_header(*pair)} if pair else {}
        out = Outgoing("GET", url, headers, max_bytes=TOKEN_BODY_MAX, token=True)
        reply = send_following(self._exchange, out, registry)
        return self._token_from(reply, registry, authenticated=pair is not None)

    def _oauth2_token(
        self,
        realm: str,
        service: str | None,
        scopes: tuple[str, ...],
        credential: Credential,
        registry: RegistryState,
    ) -> Token | None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": credential.refresh_token,
            "client_id": self._client_id,
            "scope": " ".join(scopes),
        }
        if service:
            form["service"] = service
        out = Outgoing("POST", realm, {}, form, max_bytes=TOKEN_BODY_MAX, token=True)
        reply = send_following(self._exchange, out, registry)
        if reply.status == 404:
            return None  # no OAuth2 endpoint: fall back to the GET flow (A4)
        return self._token_from(reply, registry, authenticated=True)

    def _token_from(self, reply: Reply, registry: RegistryState, *, authenticated: bool) -> Token:
        if reply.status == 200:
            return parse_token_response(
                reply.body, wall_now=self._clock.now(), monotonic_now=self._clock.monotonic()
            )
        if reply.status in (401, 403):
            refusal = "refused our credentials" if authenticated else "requires credentials"
            raise RegistryAuthError(
                f"token endpoint {reply.netloc} {refusal} ({reply.describe()})",
                registry=registry.key,
                required=not authenticated,
            )
        raise RegistryAuthError(
            f"token endpoint {reply.netloc} answered {reply.describe()}", registry=registry.key
        )


_MISSING = object()


def basic_header(username: str, password: str) -> str:
    """``Basic base64(user:password)`` in canonical casing (Artifactory insists)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def needs_reauthorisation(reply: Reply) -> bool:
    """401, or 403 whose challenge says the token lacks scope (A8)."""
    if reply.status == 401:
        return True
    if reply.status != 403:
        return False
    challenges = parse_challenges(reply.header_list("www-authenticate"))
    return any(challenge.error == "insufficient_scope" for challenge in challenges)


def _host_level(challenge: Challenge) -> Challenge:
    """A challenge without the request-specific ``scope`` and ``error`` parameters."""
    params = {k: v for k, v in challenge.params.items() if k not in _HOST_SPECIFIC}
    return replace(challenge, params=params)


def _with_challenge_scopes(
    scopes: tuple[str, ...], challenges: tuple[Challenge, ...]
) -> tuple[str, ...]:
    extra = [scope for c in challenges if c.scheme == "bearer" for scope in c.scopes]
    return tuple(sorted(set(scopes) | set(extra)))
