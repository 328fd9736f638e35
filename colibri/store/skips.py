"""``SqlSkips`` and ``SqlSeenImages``: the operator's skips and snoozes, and the candidate
digests Colibri has seen (first-seen time and what their configuration says)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from colibri.domain.image_age import SeenImage
from colibri.domain.skips import NewSkip, Skip
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, dialect_insert, from_row
from colibri.store.tables import SeenImageRow, SkipRow

__all__ = ["SqlSeenImages", "SqlSkips"]


class SqlSkips(Repository):
    """The skips repository; every method is one committed transaction."""

    def add(self, new: NewSkip) -> Skip:
        row = SkipRow(
            environment=new.environment,
            container_name=new.container_name,
            version=new.version,
            until=new.until,
            reason=new.reason,
            created_at=self._now(),
        )
        with translate(f"skip for {new.container_name!r}"), writing(self._sessions) as s:
            s.add(row)
            s.flush()
            return _skip(row)

    def list_skips(
        self, environment: str | None = None, container_name: str | None = None
    ) -> list[Skip]:
        query = select(SkipRow).order_by(SkipRow.id)
        if environment is not None:
            query = query.where(SkipRow.environment == environment)
        if container_name is not None:
            query = query.where(SkipRow.container_name == container_name)
        with translate("list skips"), reading(self._sessions) as s:
            return [_skip(row) for row in s.scalars(query)]

    def clear(self, environment: str, container_name: str) -> int:
        statement = delete(SkipRow).where(
            SkipRow.environment == environment, SkipRow.container_name == container_name
        )
        with translate(f"clear skips of {container_name!r}"), writing(self._sessions) as s:
            return rowcount(s, statement)

    def delete(self, skip_id: int) -> bool:
        statement = delete(SkipRow).where(SkipRow.id == skip_id)
        with translate(f"delete skip {skip_id}"), writing(self._sessions) as s:
            return rowcount(s, statement) > 0


class SqlSeenImages(Repository):
    """The seen-digests repository."""

    def get(self, digest: str) -> SeenImage | None:
        with translate(f"read seen image {digest}"), reading(self._sessions) as s:
            row = s.get(SeenImageRow, digest)
            return None if row is None else _seen(row)

    def remember(self, image: SeenImage) -> SeenImage:
        values: dict[str, Any] = {
            "digest": image.digest,
            "first_seen_at": image.first_seen_at,
            "created": image.created,
            "labels": dict(image.labels),
        }
        with translate(f"remember image {image.digest}"), writing(self._sessions) as s:
            s.execute(dialect_insert(s, SeenImageRow).values(values).on_conflict_do_nothing())
            row = s.get(SeenImageRow, image.digest)
            assert row is not None
            return _seen(row)


def _skip(row: SkipRow) -> Skip:
    return from_row(
        f"skip {row.id}",
        lambda: Skip(
            id=row.id,
            environment=row.environment,
            container_name=row.container_name,
            version=row.version,
            until=row.until,
            reason=row.reason,
            created_at=row.created_at,
        ),
    )


def _seen(row: SeenImageRow) -> SeenImage:
    labels = {str(key): str(value) for key, value in (row.labels or {}).items()}
    return from_row(
        f"seen image {row.digest}",
        lambda: SeenImage(row.digest, row.first_seen_at, row.created, labels),
    )
