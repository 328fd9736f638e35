"""API tokens: bearer secrets carrying permissions, of which only a hash is ever stored.

A secret is ``colibri_`` followed by 43 URL-safe characters (256 random bits from
:mod:`secrets`). Since it is that random, a plain SHA-256 of it is as good as a slow password
hash: nobody can search 2**256 candidates. The store keeps the hash and a short non-secret
:func:`display_prefix` (``colibri_AbCd1234``) so a user can tell tokens apart; the secret is
shown once, when the token is created.

A presented token is looked up by its hash and compared with :func:`secret_matches`
(constant time). Permissions come from the fixed :class:`Permission` vocabulary; ``admin``
grants every one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from colibri.domain.invalid import Invalid, check_aware, parse_choice

__all__ = [
    "CHOSEN_PREFIX",
    "SECRET_PREFIX",
    "ApiToken",
    "IssuedToken",
    "NewApiToken",
    "Permission",
    "check_secret",
    "display_prefix",
    "generate_secret",
    "has_permission",
    "hash_secret",
    "parse_permissions",
    "secret_matches",
]

SECRET_PREFIX = "colibri_"  # noqa: S105 - a marker that starts every secret, not a secret
_RANDOM_BYTES = 32
_MIN_SECRET_LENGTH = 32
_SHOWN_CHARACTERS = 8


class Permission(StrEnum):
    """What a token may do. ``admin`` means everything."""

    CONTAINERS_READ = "containers:read"
    SCHEDULES_READ = "schedules:read"
    SCHEDULES_CREATE = "schedules:create"
    SCHEDULES_UPDATE = "schedules:update"
    SCHEDULES_DELETE = "schedules:delete"
    UPDATES_RUN = "updates:run"
    RUNS_READ = "runs:read"
    ENVIRONMENTS_READ = "environments:read"
    ENVIRONMENTS_MANAGE = "environments:manage"
    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_MANAGE = "notifications:manage"
    SETTINGS_MANAGE = "settings:manage"
    AUDIT_READ = "audit:read"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class NewApiToken:
    """A token to create: a name for people, its permissions, an optional expiry (aware)."""

    name: str
    permissions: frozenset[Permission]
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 255:
            raise Invalid("name", "a token needs a name of 1-255 characters")
        object.__setattr__(self, "permissions", parse_permissions(self.permissions))
        check_aware(self.expires_at, "expires_at")


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored token (never its secret). ``prefix`` is safe to show."""

    id: int
    name: str
    prefix: str
    permissions: frozenset[Permission]
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def allows(self, permission: Permission) -> bool:
        """Whether this token carries ``permission`` (``admin`` carries them all)."""
        return has_permission(self.permissions, permission)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just created, with its secret: show the secret once, then drop it."""

    token: ApiToken
    secret: str = field(repr=False)


def generate_secret() -> str:
    """A new token secret: ``colibri_`` and 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def check_secret(secret: str) -> str:
    """``secret`` if it may serve as a token (one given by ``COLIBRI_ADMIN_TOKEN``, say):
    at least 32 printable ASCII characters without spaces. Never echoes the secret."""
    if len(secret) < _MIN_SECRET_LENGTH or not (secret.isascii() and secret.isprintable()):
        raise Invalid("token", f"must be at least {_MIN_SECRET_LENGTH} printable characters")
    if any(character.isspace() for character in secret):
        raise Invalid("token", "must not contain spaces")
    return secret


def hash_secret(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(presented: str, stored_hash: str) -> bool:
    """Whether ``presented`` is the secret of ``stored_hash``, in constant time."""
    return hmac.compare_digest(hash_secret(presented), stored_hash)


#: What a secret someone chose (``COLIBRI_ADMIN_TOKEN``) shows instead of its start: for a
#: chosen secret, even a few characters narrow the search.
CHOSEN_PREFIX = "(preset)"


def display_prefix(secret: str, *, chosen: bool = False) -> str:
    """The non-secret start of a secret that identifies it to people (``colibri_AbCd1234``);
    :data:`CHOSEN_PREFIX` for a ``chosen`` one (not random, so its start may help guess it)."""
    if chosen:
        return CHOSEN_PREFIX
    start = len(SECRET_PREFIX) if secret.startswith(SECRET_PREFIX) else 0
    return secret[: start + _SHOWN_CHARACTERS]


def has_permission(granted: Iterable[Permission], needed: Permission) -> bool:
    """Whether ``granted`` includes ``needed`` or ``admin``."""
    held = frozenset(granted)
    return Permission.ADMIN in held or needed in held


def parse_permissions(names: Iterable[str]) -> frozenset[Permission]:
    """Permission names (or members) as a set; ``Invalid`` naming the first unknown one.

    An empty set is refused: a token that may do nothing is a mistake.
    """
    items = [names] if isinstance(names, str) else names
    parsed = frozenset(parse_choice(Permission, name, "permissions") for name in items)
    if not parsed:
        raise Invalid("permissions", "a token needs at least one permission")
    return parsed
