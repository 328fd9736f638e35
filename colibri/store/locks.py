"""Leases on a key (one per container), atomic across processes and hosts on both backends.

Acquiring is two statements in one write transaction, each atomic on its own:

1. ``INSERT ... ON CONFLICT DO NOTHING``: wins when nobody holds the key;
2. otherwise a conditional ``UPDATE ... WHERE key = ? AND (expires_at <= now OR instance =
   ours)``: takes over an expired lease, or one this very process instance left behind. It
   counts only if exactly one row changed.

On PostgreSQL (read committed) a competing ``UPDATE`` waits for the first one's commit and then
re-checks its ``WHERE`` against the new row, so two takers of one expired lease cannot both
win. On SQLite every write transaction begins with ``BEGIN IMMEDIATE``, so they are serialised
anyway. Refreshing and releasing match the owner: its run and its process instance (a random id
per process: two processes sharing a host name are never taken for one another). A row
written before instances existed has none, and is matched by host name and PID as it was.

Expiry uses the caller's clock, so hosts sharing one PostgreSQL must keep their clocks in sync
to well within a lease's time to live.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from colibri.domain.journal import LockOwner
from colibri.errors import LockHeld
from colibri.store.db import rowcount
from colibri.store.tables import LockRow

__all__ = ["acquire", "holder", "refresh", "release"]

_ATTEMPTS = 3


def acquire(session: Session, key: str, owner: LockOwner, now: datetime, ttl: float) -> None:
    """Take ``key`` for ``owner`` until ``now + ttl``, or raise ``LockHeld`` naming the holder."""
    values: dict[str, Any] = {
        "run_id": owner.run_id,
        "hostname": owner.hostname,
        "pid": owner.pid,
        "instance": owner.instance or None,
        "machine": owner.machine or None,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=ttl),
    }
    for _ in range(_ATTEMPTS):
        if _insert_if_absent(session, key, values) or _take_over(session, key, owner, now, values):
            return
        current = holder(session, key, now)
        if current is not None:
            raise LockHeld(f"lock {key!r} is {_describe(current)}")
        # The holder released it between our two statements: try again.
    raise LockHeld(f"lock {key!r} is contended: it changed hands {_ATTEMPTS} times meanwhile")


def refresh(session: Session, key: str, owner: LockOwner, now: datetime, ttl: float) -> None:
    """Extend ``owner``'s lease on ``key``; ``LockHeld`` if it is no longer theirs."""
    extend = (
        update(LockRow)
        .where(LockRow.key == key, *_owned_by(owner))
        .values(expires_at=now + timedelta(seconds=ttl))
    )
    if rowcount(session, extend) == 1:
        return
    current = session.get(LockRow, key)
    if current is None:
        raise LockHeld(f"lock {key!r} is no longer held by run {owner.run_id}: it was released")
    raise LockHeld(f"lock {key!r} was taken over: it is {_describe(current)}")


def release(session: Session, key: str, owner: LockOwner) -> None:
    """Drop ``key`` if ``owner`` holds it; do nothing otherwise."""
    rowcount(session, delete(LockRow).where(LockRow.key == key, *_owned_by(owner)))


def holder(session: Session, key: str, now: datetime) -> LockRow | None:
    """The live (unexpired) lease on ``key``, if any."""
    return session.scalar(select(LockRow).where(LockRow.key == key, LockRow.expires_at > now))


def _insert_if_absent(session: Session, key: str, values: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(LockRow).values(key=key, **values).on_conflict_do_nothing()
    return rowcount(session, statement) == 1


def _take_over(
    session: Session, key: str, owner: LockOwner, now: datetime, values: dict[str, Any]
) -> bool:
    take = (
        update(LockRow)
        .where(LockRow.key == key, or_(LockRow.expires_at <= now, _same_instance(owner)))
        .values(**values)
    )
    return rowcount(session, take) == 1


def _same_instance(owner: LockOwner) -> Any:
    """The row was written by ``owner``'s process instance (by host and PID for an owner
    without one, as rows were before instances)."""
    if owner.instance:
        return LockRow.instance == owner.instance
    return and_(
        LockRow.instance.is_(None), LockRow.hostname == owner.hostname, LockRow.pid == owner.pid
    )


def _owned_by(owner: LockOwner) -> tuple[Any, ...]:
    return (LockRow.run_id == owner.run_id, _same_instance(owner))


def _describe(row: LockRow) -> str:
    instance = f", instance {row.instance[:8]}" if row.instance else ""
    return (
        f"held by run {row.run_id} on host {row.hostname} (pid {row.pid}{instance}) "
        f"until {row.expires_at.isoformat()}"
    )
