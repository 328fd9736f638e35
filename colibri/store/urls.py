"""Database URLs: which ones Colibri accepts, how they are normalised, how they are shown.

Two backends are supported:

- SQLite (``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite://`` in memory), on
  the standard library's ``sqlite3`` driver;
- PostgreSQL (``postgresql://``, ``postgres://`` as Heroku and many docs spell it, or
  ``postgresql+psycopg://``), always on the psycopg 3 driver.

Anything else is refused with a ``StoreError`` that says what is accepted. A URL is never shown
with its password: :func:`redact` masks it, even in a URL too malformed to parse.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from colibri.errors import StoreError

__all__ = ["is_sqlite", "normalise_url", "redact", "sqlite_path"]

_ACCEPTED = "sqlite:///PATH, postgresql://USER:PASSWORD@HOST:PORT/DB or postgres://..."
_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}
_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+psycopg"}
# Up to the *last* "@": a password with a raw "@" or "/" must not leak (masking too much is fine).
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@]*):.*@", re.I)


def redact(url: str | URL) -> str:
    """``url`` as text with its password replaced by ``***``, whatever state it is in."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _USERINFO.sub(r"\g<scheme>\g<user>:***@", url)


def normalise_url(url: str) -> URL:
    """Parse ``url`` and pin its driver: ``sqlite`` (sqlite3) or ``postgresql+psycopg``.

    Raises ``StoreError`` naming the problem (never the password) for an empty, malformed or
    unsupported URL.
    """
    if not url.strip():
        raise StoreError(f"the database URL is empty; expected {_ACCEPTED}")
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"{redact(url)} is not a valid database URL; expected {_ACCEPTED}"
        ) from exc
    driver = parsed.drivername.lower()
    if driver in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite")
    if driver in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(
        f"unsupported database {redact(parsed)!r} (driver {driver!r}); expected {_ACCEPTED}"
    )


def is_sqlite(url: URL) -> bool:
    """Whether a normalised URL is a SQLite one."""
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> str | None:
    """The file of a SQLite URL, or ``None`` for an in-memory database."""
    database = url.database or ""
    return None if database in {"", ":memory:"} else database
