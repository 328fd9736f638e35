"""``SqlActivity``: the numbered events of update runs, read back for live streams.

The rows are written by :class:`~colibri.store.journal.SqlJournal` in the same transaction as
the journal row they tell of (see :mod:`colibri.domain.activity`); this repository only reads
them, in ``id`` order, after a given id, and forgets old ones.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from colibri.domain.activity import ActivityEvent, ActivityKind
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, page
from colibri.store.tables import EventRow, RunRow

__all__ = ["SqlActivity", "add_event"]


class SqlActivity(Repository):
    """Reads of the event feed; every method is one transaction."""

    def after(
        self, after_id: int, *, run_id: str | None = None, limit: int = 500
    ) -> list[ActivityEvent]:
        """Events with an id above ``after_id`` (of one run when ``run_id`` is given), oldest
        first, at most ``limit``."""
        page("read events", limit, 0)
        query = select(EventRow).where(EventRow.id > after_id)
        if run_id is not None:
            query = query.where(EventRow.run_id == run_id)
        query = query.order_by(EventRow.id).limit(limit)
        with translate("read events"), reading(self._sessions) as s:
            return [_event(row) for row in s.scalars(query)]

    def last_id(self) -> int:
        """The id of the newest event, 0 when there is none."""
        with translate("read the last event id"), reading(self._sessions) as s:
            return int(s.scalar(select(func.max(EventRow.id))) or 0)

    def forget_before(self, before: datetime) -> int:
        """Delete events older than ``before``; how many."""
        statement = delete(EventRow).where(EventRow.at < before)
        with translate("forget old events"), writing(self._sessions) as s:
            return rowcount(s, statement)


def add_event(
    session: Session, run: RunRow, kind: ActivityKind, at: datetime, data: dict[str, object]
) -> None:
    """Add, in ``session``, the event ``kind`` of ``run`` (its journal writes call this)."""
    session.add(
        EventRow(
            at=at,
            kind=kind.value,
            run_id=run.id,
            environment=run.environment,
            container=run.container_name,
            data=data,
        )
    )


def _event(row: EventRow) -> ActivityEvent:
    return ActivityEvent(
        id=row.id,
        at=row.at,
        kind=ActivityKind(row.kind),
        run_id=row.run_id,
        environment=row.environment,
        container=row.container,
        data=MappingProxyType(dict(row.data or {})),
    )
