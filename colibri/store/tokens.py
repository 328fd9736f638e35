"""``SqlApiTokens``: API tokens, of which only the SHA-256 of the secret is stored.

The secret is returned once, by :meth:`SqlApiTokens.create`, inside an ``IssuedToken``.
A presented token is found by the hash of what was presented (a unique index) and the stored
hash is compared again in constant time; timing can at most reveal something about a hash,
which does not help to forge a secret. Token names are unique (``StoreConflict`` on
``name``).

:meth:`SqlApiTokens.touch` records the last use cheaply: one ``UPDATE`` that changes nothing
unless the recorded time is older than a minute, so a busy client does not write on every
request.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from colibri.domain.tokens import (
    ApiToken,
    IssuedToken,
    NewApiToken,
    Permission,
    check_secret,
    display_prefix,
    generate_secret,
    hash_secret,
    secret_matches,
)
from colibri.store.conflicts import unique
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, from_row
from colibri.store.tables import ApiTokenRow

__all__ = ["TOUCH_RESOLUTION", "SqlApiTokens"]

TOUCH_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is kept to this precision, to spare a write per request."""

_FIRST_TOKEN_LOCK = 0x636F6C6962726902
"""PostgreSQL advisory lock key held while creating the first token ("colibri" + 2)."""


class SqlApiTokens(Repository):
    """The API tokens repository; every method is one committed transaction."""

    def create(self, new: NewApiToken, *, secret: str | None = None) -> IssuedToken:
        """Add a token and return it with its secret (a fresh one unless ``secret`` is given,
        as ``COLIBRI_ADMIN_TOKEN`` would be). ``StoreConflict`` (field ``name``) if the name
        is taken; ``Invalid`` if the given secret is too weak."""
        issued = _issue(new, secret)
        row = _row(new, issued, self._now(), chosen=secret is not None)
        operation = f"create API token {new.name!r}"
        with translate(operation), _unique(operation, new), writing(self._sessions) as s:
            s.add(row)
        return IssuedToken(token(row), issued)

    def create_first(self, new: NewApiToken, *, secret: str | None = None) -> IssuedToken | None:
        """Create ``new`` only if there is no token at all (revoked ones count); ``None``
        otherwise. Atomic: of processes starting together on an empty store, one creates it."""
        issued = _issue(new, secret)
        operation = f"create first API token {new.name!r}"
        with translate(operation), _unique(operation, new), writing(self._sessions) as s:
            _serialise_first(s)
            if s.scalar(select(func.count()).select_from(ApiTokenRow)):
                return None
            row = _row(new, issued, self._now(), chosen=secret is not None)
            s.add(row)
        return IssuedToken(token(row), issued)

    def get(self, token_id: int) -> ApiToken | None:
        """The token with this id (revoked or not), or ``None``."""
        with translate(f"read API token {token_id}"), reading(self._sessions) as s:
            row = s.get(ApiTokenRow, token_id)
            return None if row is None else token(row)

    def find_active(self, presented: str) -> ApiToken | None:
        """The token whose secret is ``presented`` if it is neither revoked nor expired now;
        ``None`` otherwise (unknown, revoked and expired look the same to the caller)."""
        digest = hash_secret(presented)
        query = select(ApiTokenRow).where(ApiTokenRow.token_hash == digest)
        with translate("authenticate API token"), reading(self._sessions) as s:
            row = s.scalars(query).first()
            if row is None or not secret_matches(presented, row.token_hash):
                return None
            found = token(row)
        return found if found.is_active(self._now()) else None

    def list_tokens(self) -> list[ApiToken]:
        """Every token, revoked ones included, oldest first."""
        query = select(ApiTokenRow).order_by(ApiTokenRow.id)
        with translate("list API tokens"), reading(self._sessions) as s:
            return [token(row) for row in s.scalars(query)]

    def revoke(self, token_id: int) -> ApiToken | None:
        """Revoke a token from now on (a second revoke keeps the first time); ``None`` for an
        unknown id."""
        operation = f"revoke API token {token_id}"
        with translate(operation), writing(self._sessions) as s:
            row = s.get(ApiTokenRow, token_id)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = self._now()
        return token(row)

    def touch(self, token_id: int) -> None:
        """Record that the token was used now (to :data:`TOUCH_RESOLUTION`); an unknown id
        is no error."""
        now = self._now()
        statement = (
            update(ApiTokenRow)
            .where(
                ApiTokenRow.id == token_id,
                or_(
                    ApiTokenRow.last_used_at.is_(None),
                    ApiTokenRow.last_used_at <= now - TOUCH_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
        )
        with translate(f"record use of API token {token_id}"), writing(self._sessions) as s:
            rowcount(s, statement)


def token(row: ApiTokenRow) -> ApiToken:
    """A token row as the domain's value (without hash or secret)."""

    def build() -> ApiToken:
        return ApiToken(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            permissions=frozenset(Permission(name) for name in row.permissions),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )

    return from_row(f"API token {row.id}", build)


def _issue(new: NewApiToken, secret: str | None) -> str:
    return generate_secret() if secret is None else check_secret(secret)


def _row(new: NewApiToken, secret: str, now: datetime, *, chosen: bool) -> ApiTokenRow:
    return ApiTokenRow(
        name=new.name,
        token_hash=hash_secret(secret),
        prefix=display_prefix(secret, chosen=chosen),
        permissions=sorted(permission.value for permission in new.permissions),
        created_at=now,
        last_used_at=None,
        expires_at=new.expires_at,
        revoked_at=None,
    )


def _unique(operation: str, new: NewApiToken) -> AbstractContextManager[None]:
    return unique(
        operation,
        "api_tokens",
        {
            ("name",): f"an API token named {new.name!r} already exists",
            ("token_hash",): "this secret already belongs to another token",
        },
    )


def _serialise_first(session: Session) -> None:
    """Make first-token creations wait for each other (SQLite: already, by BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _FIRST_TOKEN_LOCK})
