"""``SqlNotificationTargets`` and ``SqlNotificationLog``: where notifications go, and which
ones were already sent.

A target's Apprise URL is a secret: it is stored as given (the notifier needs it) but never
appears in a message of this module. Target names are unique (``StoreConflict`` on ``name``).

The log holds de-duplication keys (``colibri.domain.events``' ``dedup_key``: an update
available is announced once per environment, container and digest).
:meth:`SqlNotificationLog.first_time` is one ``INSERT ... ON CONFLICT DO NOTHING``: of any
number of processes recording one key, exactly one is told it is the first.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from colibri.domain.events import EventKind
from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
from colibri.errors import StoreError
from colibri.store.conflicts import unique
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, dialect_insert, from_row, inserted
from colibri.store.tables import NotificationLogRow, NotificationTargetRow

__all__ = ["MAX_KEY_LENGTH", "SqlNotificationLog", "SqlNotificationTargets"]

MAX_KEY_LENGTH = 1024


class SqlNotificationTargets(Repository):
    """The notification targets repository; every method is one committed transaction."""

    def create(self, new: NewNotificationTarget) -> NotificationTarget:
        """Add a target. ``StoreConflict`` (field ``name``) if the name is taken."""
        operation = f"create notification target {new.name!r}"
        row = NotificationTargetRow(created_at=self._now(), **_values(new))
        with translate(operation), _unique(operation, new), writing(self._sessions) as s:
            s.add(row)
        return target(row)

    def get(self, target_id: int) -> NotificationTarget | None:
        """The target with this id, or ``None``."""
        with translate(f"read notification target {target_id}"), reading(self._sessions) as s:
            row = s.get(NotificationTargetRow, target_id)
            return None if row is None else target(row)

    def list_targets(self) -> list[NotificationTarget]:
        """Every target, enabled or not, by name."""
        query = select(NotificationTargetRow).order_by(NotificationTargetRow.name)
        with translate("list notification targets"), reading(self._sessions) as s:
            return [target(row) for row in s.scalars(query)]

    def update(self, target_id: int, new: NewNotificationTarget) -> NotificationTarget | None:
        """Replace name, URL, events and switch; ``None`` for an unknown id."""
        operation = f"update notification target {target_id}"
        with translate(operation), _unique(operation, new), writing(self._sessions) as s:
            row = s.get(NotificationTargetRow, target_id)
            if row is None:
                return None
            for key, value in _values(new).items():
                setattr(row, key, value)
        return target(row)

    def delete(self, target_id: int) -> bool:
        """Delete a target; ``False`` for an unknown id."""
        statement = delete(NotificationTargetRow).where(NotificationTargetRow.id == target_id)
        with translate(f"delete notification target {target_id}"), writing(self._sessions) as s:
            return rowcount(s, statement) == 1


class SqlNotificationLog(Repository):
    """The de-duplication log of notifications."""

    def first_time(self, key: str) -> bool:
        """Record ``key``; ``True`` only for the one caller that recorded it first, ever."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise StoreError(f"record notification key: it must be 1-{MAX_KEY_LENGTH} characters")
        with translate("record notification key"), writing(self._sessions) as s:
            insert = dialect_insert(s, NotificationLogRow).values(key=key, created_at=self._now())
            return inserted(s, insert.on_conflict_do_nothing(index_elements=["key"])) == 1

    def forget_before(self, before: datetime) -> int:
        """Drop keys first recorded before ``before`` (their events may be sent again); how
        many were dropped."""
        statement = delete(NotificationLogRow).where(NotificationLogRow.created_at < before)
        with translate("prune notification keys"), writing(self._sessions) as s:
            return rowcount(s, statement)


def target(row: NotificationTargetRow) -> NotificationTarget:
    """A target row as the domain's value."""

    def build() -> NotificationTarget:
        return NotificationTarget(
            id=row.id,
            name=row.name,
            url=row.url,
            events=frozenset(EventKind(name) for name in row.events),
            enabled=row.enabled,
            created_at=row.created_at,
        )

    return from_row(f"notification target {row.id}", build)


def _values(new: NewNotificationTarget) -> dict[str, Any]:
    return {
        "name": new.name,
        "url": new.url,
        "events": sorted(event.value for event in new.events),
        "enabled": new.enabled,
    }


def _unique(operation: str, new: NewNotificationTarget) -> AbstractContextManager[None]:
    return unique(
        operation,
        "notification_targets",
        {("name",): f"a notification target named {new.name!r} already exists"},
    )
