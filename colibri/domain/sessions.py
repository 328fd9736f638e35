"""Browser sessions: an API token exchanged for a cookie, and the rules that keep it safe.

Signing in presents an API token once; the browser then holds only a session secret in an
``HttpOnly``, ``SameSite=Strict`` cookie. The secret is as random as a token's, so the store
keeps its SHA-256 (:func:`colibri.domain.tokens.hash_secret`), never the secret. A session
acts with exactly the permissions of the token it was made from, and ends when it expires,
when it is signed out, or when that token is revoked or expires.

A cookie is sent by the browser on its own, so a request that changes something and is
authenticated by one must show it comes from Colibri's own pages (:func:`csrf_refusal`):
it carries the :data:`CSRF_HEADER` (a page of another site cannot set a custom header
without a CORS preflight, which Colibri never grants) and, when the browser names the
request's origin, that origin is this service's own host.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

__all__ = [
    "COOKIE_NAME",
    "CSRF_HEADER",
    "DEFAULT_LIFETIME",
    "SAFE_METHODS",
    "IssuedSession",
    "WebSession",
    "csrf_refusal",
    "generate_session_secret",
]

COOKIE_NAME = "colibri_session"
CSRF_HEADER = "X-Colibri-Request"
DEFAULT_LIFETIME = timedelta(hours=12)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RANDOM_BYTES = 32


@dataclass(frozen=True, slots=True)
class WebSession:
    """A stored session (never its secret): whose token it acts for, and until when."""

    id: int
    token_id: int
    created_at: datetime
    expires_at: datetime

    def is_active(self, now: datetime) -> bool:
        """Not yet expired at ``now``."""
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A session just made, with its secret: it goes into the cookie and nowhere else."""

    session: WebSession
    secret: str = field(repr=False)


def generate_session_secret() -> str:
    """A new session secret: 256 random bits, URL-safe (fit for a cookie value)."""
    return secrets.token_urlsafe(_RANDOM_BYTES)


def csrf_refusal(
    method: str, host: str | None, origin: str | None, marker: str | None
) -> str | None:
    """Why a cookie-authenticated request must be refused, or ``None`` when it may pass.

    Safe methods always pass (they change nothing). Others need ``marker`` (the value of
    :data:`CSRF_HEADER`, any non-empty one) and, when the browser sent an ``Origin``, one
    whose host and port are ``host`` (the request's ``Host`` header).
    """
    if method.upper() in SAFE_METHODS:
        return None
    if not marker:
        return f"a request signed in by cookie must carry the {CSRF_HEADER} header"
    if origin is not None and not _same_host(origin, host):
        return "this request comes from another site (its Origin is not this service)"
    return None


def _same_host(origin: str, host: str | None) -> bool:
    if host is None or origin == "null":
        return False
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return netloc.lower() == host.lower()
