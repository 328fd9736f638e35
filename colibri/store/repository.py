"""What every repository of the store shares: sessions, a clock, and small SQL helpers.

A repository takes the session factory (and optionally a ``Clock``), runs each method as one
transaction committed before the method returns, and returns the domain's frozen values.
Unknown ids are not errors: ``get``-like methods return ``None`` and ``delete``-like ones
``False``, so that the caller (an API answering 404) decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from colibri.domain.ports import Clock
from colibri.errors import StoreError
from colibri.store.db import rowcount

__all__ = ["Repository", "dialect_insert", "from_row", "inserted", "page"]

_T = TypeVar("_T")


class Repository:
    """Base of the repositories: the session factory and the time source."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._now: Callable[[], datetime] = clock.now if clock else _utc_now


def dialect_insert(session: Session, table: Any) -> Any:
    """An ``INSERT`` of ``table`` with the backend's ``ON CONFLICT`` clauses available."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


def inserted(session: Session, statement: Executable) -> int:
    """Execute an ``INSERT`` (``ON CONFLICT DO NOTHING`` included); rows it inserted."""
    return rowcount(session, statement)


def from_row(what: str, build: Callable[[], _T]) -> _T:
    """``build()``, a domain value made from a row; a ``StoreError`` naming ``what`` when the
    row breaks a rule of this version's domain (written by hand, or by a newer Colibri)."""
    try:
        return build()
    except ValueError as exc:
        raise StoreError(f"{what} in the database is not valid for this Colibri: {exc}") from exc


def page(operation: str, limit: int, offset: int) -> None:
    """Refuse a negative ``limit`` or ``offset`` with a ``StoreError`` naming the operation."""
    if limit < 0 or offset < 0:
        raise StoreError(f"{operation}: limit and offset must be >= 0 (got {limit}, {offset})")


def _utc_now() -> datetime:
    return datetime.now(UTC)
