"""``SqlBadDigests``: the digests not to try again, per container
(:mod:`colibri.domain.bad_digests`)."""

from __future__ import annotations

from sqlalchemy import delete, select

from colibri.domain.bad_digests import BadDigest
from colibri.domain.journal import RunStatus
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, dialect_insert, from_row
from colibri.store.tables import BadDigestRow as Row

__all__ = ["SqlBadDigests"]


class SqlBadDigests(Repository):
    """Records, finds and clears bad digests; every method is one transaction."""

    def record(self, bad: BadDigest) -> None:
        """Keep ``bad`` (a second failure of the same digest keeps the first record)."""
        values = {
            "environment_id": bad.environment_id,
            "container_name": bad.container_name,
            "digest": bad.digest,
            "status": bad.status.value,
            "reason": bad.reason,
            "run_id": bad.run_id,
            "recorded_at": bad.recorded_at,
        }
        operation = f"record bad digest of {bad.container_name}"
        with translate(operation), writing(self._sessions) as s:
            statement = dialect_insert(s, Row).values(**values).on_conflict_do_nothing()
            s.execute(statement)

    def find(self, environment_id: int, container_name: str, digest: str) -> BadDigest | None:
        """The record of this digest for this container, or ``None``."""
        key = (environment_id, container_name, digest)
        with translate(f"read bad digest of {container_name}"), reading(self._sessions) as s:
            row = s.get(Row, key)
            return None if row is None else _bad(row)

    def list_bad(
        self, environment_id: int | None = None, container_name: str | None = None
    ) -> list[BadDigest]:
        """Records, by environment, container and time."""
        query = select(Row).order_by(Row.environment_id, Row.container_name, Row.recorded_at)
        if environment_id is not None:
            query = query.where(Row.environment_id == environment_id)
        if container_name is not None:
            query = query.where(Row.container_name == container_name)
        with translate("list bad digests"), reading(self._sessions) as s:
            return [_bad(row) for row in s.scalars(query)]

    def clear(self, environment_id: int, container_name: str, digest: str | None = None) -> int:
        """Forget the container's records (only ``digest``'s when given); how many."""
        statement = delete(Row).where(
            Row.environment_id == environment_id, Row.container_name == container_name
        )
        if digest is not None:
            statement = statement.where(Row.digest == digest)
        with translate(f"clear bad digests of {container_name}"), writing(self._sessions) as s:
            return rowcount(s, statement)


def _bad(row: Row) -> BadDigest:
    def build() -> BadDigest:
        return BadDigest(
            environment_id=row.environment_id,
            container_name=row.container_name,
            digest=row.digest,
            status=RunStatus(row.status),
            reason=row.reason,
            run_id=row.run_id,
            recorded_at=row.recorded_at,
        )

    return from_row(f"bad digest of {row.container_name}", build)
