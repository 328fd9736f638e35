"""Bearer tokens: the token endpoint's answer and the cache (docs/registry.md A5-A7).

The answer carries ``token`` and/or ``access_token`` (``token`` wins when both are present),
``expires_in`` (60 s when absent, never less than 60 s) and ``issued_at`` (the start of the
lifetime when given, else the moment of receipt). A cached token is refreshed once less than
max(10 s, 10 % of its lifetime) remains.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

from colibri.errors import RegistryAuthError, RegistryProtocolError

__all__ = ["MIN_LIFETIME", "Token", "TokenCache", "parse_token_response"]

MIN_LIFETIME = 60.0
_REFRESH_MARGIN = 10.0
_REFRESH_SHARE = 0.1
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token; ``expires_at`` is on the client's monotonic clock."""

    value: str = field(repr=False)
    expires_at: float
    lifetime: float

    def usable(self, now: float) -> bool:
        """Still worth sending: more than max(10 s, 10 %) of the lifetime remains."""
        margin = max(_REFRESH_MARGIN, _REFRESH_SHARE * self.lifetime)
        return self.expires_at - now > margin


def parse_token_response(body: bytes, *, wall_now: datetime, monotonic_now: float) -> Token:
    """The token of a token-endpoint answer. Raise if it is not JSON or holds no token."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RegistryProtocolError("token endpoint answered invalid JSON") from None
    if not isinstance(document, dict):
        raise RegistryProtocolError("token endpoint answered no JSON object")
    value = document.get("token") or document.get("access_token")
    if not isinstance(value, str) or not value:
        raise RegistryAuthError("token endpoint answered no token")
    if not _HEADER_SAFE.fullmatch(value):
        raise RegistryProtocolError("token endpoint answered a token unfit for a header")
    lifetime = _lifetime(document.get("expires_in"))
    started = _issued_at(document.get("issued_at"), wall_now)
    elapsed = (wall_now - started).total_seconds()
    return Token(value=value, expires_at=monotonic_now + lifetime - elapsed, lifetime=lifetime)


def _lifetime(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MIN_LIFETIME
    return max(float(value), MIN_LIFETIME)


def _issued_at(value: object, wall_now: datetime) -> datetime:
    """``issued_at`` when it parses and is not in the future, else now."""
    if not isinstance(value, str) or not value:
        return wall_now
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return wall_now
    if moment.tzinfo is None or moment > wall_now:
        return wall_now
    return moment


class TokenCache:
    """Tokens by (realm, service, sorted scopes, credential identity). Thread-safe."""

    def __init__(self) -> None:
        self._tokens: dict[Hashable, Token] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, now: float) -> Token | None:
        with self._lock:
            token = self._tokens.get(key)
        return token if token is not None and token.usable(now) else None

    def put(self, key: Hashable, token: Token) -> None:
        with self._lock:
            self._tokens[key] = token

    def evict(self, key: Hashable, token: Token) -> None:
        """Forget ``token`` (refused by the registry) unless a newer one replaced it."""
        with self._lock:
            if self._tokens.get(key) is token:
                del self._tokens[key]
