"""``SqlContainerStatuses``: the last check of every container, for ``GET /api/containers``.

Keyed by (environment, container name). :meth:`SqlContainerStatuses.record` upserts a whole
check's results in one transaction (``INSERT ... ON CONFLICT DO UPDATE``, sent in batches);
:meth:`SqlContainerStatuses.list_statuses` is one ``SELECT`` in primary key order whatever the
number of containers. Containers that disappeared are dropped with
:meth:`SqlContainerStatuses.forget_unchecked` after a complete check of an environment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from colibri.domain.container_status import ContainerStatus
from colibri.domain.model import CheckStatus
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, dialect_insert, from_row
from colibri.store.tables import ContainerStatusRow as Row

__all__ = ["SqlContainerStatuses"]

_KEY = ("environment_id", "container_name")
_COLUMNS = (
    "container_id",
    "image",
    "status",
    "current_digest",
    "remote_digest",
    "reason",
    "checked_at",
    "controls",
)


class SqlContainerStatuses(Repository):
    """The container statuses repository; every method is one committed transaction."""

    def record(self, statuses: Iterable[ContainerStatus]) -> int:
        """Insert or replace the status of each container; how many were written. An unknown
        environment id fails the whole batch with a ``StoreError``."""
        values = [_values(status) for status in statuses]
        if not values:
            return 0
        with translate(f"record {len(values)} container status(es)"), writing(self._sessions) as s:
            insert = dialect_insert(s, Row)
            upsert = insert.on_conflict_do_update(
                index_elements=list(_KEY),
                set_={column: getattr(insert.excluded, column) for column in _COLUMNS},
            )
            s.execute(upsert, values)
        return len(values)

    def get(self, environment_id: int, container_name: str) -> ContainerStatus | None:
        """The last check of one container, or ``None``."""
        key = (environment_id, container_name.removeprefix("/"))
        with translate(f"read status of {key[1]!r}"), reading(self._sessions) as s:
            row = s.get(Row, key)
            return None if row is None else container_status(row)

    def list_statuses(self, environment_id: int | None = None) -> list[ContainerStatus]:
        """Every container's last check (of one environment when given), by environment and
        name; one query."""
        query = select(Row).order_by(Row.environment_id, Row.container_name)
        if environment_id is not None:
            query = query.where(Row.environment_id == environment_id)
        with translate("list container statuses"), reading(self._sessions) as s:
            return [container_status(row) for row in s.scalars(query)]

    def forget_unchecked(self, environment_id: int, before: datetime) -> int:
        """Drop the environment's containers last checked before ``before`` (the start of a
        complete check: those are gone); how many were dropped."""
        statement = delete(Row).where(Row.environment_id == environment_id, Row.checked_at < before)
        with translate("forget containers no longer seen"), writing(self._sessions) as s:
            return rowcount(s, statement)


def container_status(row: Row) -> ContainerStatus:
    """A status row as the domain's value."""

    def build() -> ContainerStatus:
        return ContainerStatus(
            environment_id=row.environment_id,
            container_name=row.container_name,
            container_id=row.container_id,
            image=row.image,
            status=CheckStatus(row.status),
            checked_at=row.checked_at,
            current_digest=row.current_digest,
            remote_digest=row.remote_digest,
            reason=row.reason,
            controls=row.controls or {},
        )

    return from_row(f"status of container {row.container_name!r}", build)


def _values(status: ContainerStatus) -> dict[str, Any]:
    return {
        "environment_id": status.environment_id,
        "container_name": status.container_name,
        "container_id": status.container_id,
        "image": status.image,
        "status": status.status.value,
        "current_digest": status.current_digest,
        "remote_digest": status.remote_digest,
        "reason": status.reason,
        "checked_at": status.checked_at,
        "controls": dict(status.controls) or None,
    }
