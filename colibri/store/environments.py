"""``SqlEnvironments``: the Docker hosts Colibri manages.

Names are unique (a duplicate is a ``StoreConflict`` on ``name``). The migrations create the
``local`` environment; :meth:`SqlEnvironments.ensure` lets the composition root make sure an
environment exists on start without caring whether another process just created it. An
environment that auto-update settings still use cannot be deleted (``StoreConflict`` on
``environment_id``); its container statuses go with it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from colibri.domain.environments import Endpoint, Environment, NewEnvironment, TlsFiles
from colibri.store.conflicts import StoreConflict, unique
from colibri.store.db import reading, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, dialect_insert, from_row
from colibri.store.tables import AutoUpdateSettingRow, EnvironmentRow

__all__ = ["SqlEnvironments"]


class SqlEnvironments(Repository):
    """The environments repository; every method is one committed transaction."""

    def create(self, new: NewEnvironment) -> Environment:
        """Add an environment. ``StoreConflict`` (field ``name``) if the name is taken."""
        operation = f"create environment {new.name!r}"
        row = EnvironmentRow(created_at=self._now(), **_values(new))
        with translate(operation), _unique_name(operation, new), writing(self._sessions) as s:
            s.add(row)
        return environment(row)

    def ensure(self, new: NewEnvironment) -> Environment:
        """The environment named ``new.name``, created as ``new`` if there is none (atomic:
        processes starting together get the same one). An existing one is not changed."""
        values = {"created_at": self._now(), **_values(new)}
        with translate(f"ensure environment {new.name!r}"), writing(self._sessions) as s:
            insert = dialect_insert(s, EnvironmentRow).values(**values)
            s.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
            row = s.scalars(select(EnvironmentRow).where(EnvironmentRow.name == new.name)).one()
            return environment(row)

    def get(self, environment_id: int) -> Environment | None:
        """The environment with this id, or ``None``."""
        with translate(f"read environment {environment_id}"), reading(self._sessions) as s:
            row = s.get(EnvironmentRow, environment_id)
            return None if row is None else environment(row)

    def find(self, name: str) -> Environment | None:
        """The environment named ``name``, or ``None``."""
        query = select(EnvironmentRow).where(EnvironmentRow.name == name)
        with translate(f"read environment {name!r}"), reading(self._sessions) as s:
            row = s.scalars(query).first()
            return None if row is None else environment(row)

    def list_environments(self) -> list[Environment]:
        """Every environment, by name."""
        with translate("list environments"), reading(self._sessions) as s:
            rows = s.scalars(select(EnvironmentRow).order_by(EnvironmentRow.name)).all()
            return [environment(row) for row in rows]

    def update(self, environment_id: int, new: NewEnvironment) -> Environment | None:
        """Replace name, endpoint and labels; ``None`` for an unknown id, ``StoreConflict``
        (field ``name``) if the new name belongs to another environment."""
        operation = f"update environment {environment_id}"
        with translate(operation), _unique_name(operation, new), writing(self._sessions) as s:
            row = s.get(EnvironmentRow, environment_id)
            if row is None:
                return None
            for key, value in _values(new).items():
                setattr(row, key, value)
        return environment(row)

    def delete(self, environment_id: int) -> bool:
        """Delete an environment and its container statuses; ``False`` for an unknown id.

        ``StoreConflict`` (field ``environment_id``) while auto-update settings use it."""
        operation = f"delete environment {environment_id}"
        with translate(operation), writing(self._sessions) as s:
            row = s.get(EnvironmentRow, environment_id)
            if row is None:
                return False
            _refuse_if_used(s, row, operation)
            s.delete(row)
        return True


def environment(row: EnvironmentRow) -> Environment:
    """An environment row as the domain's value."""

    def build() -> Environment:
        tls = None if row.tls is None else TlsFiles(**row.tls)
        return Environment(
            id=row.id,
            name=row.name,
            endpoint=Endpoint(row.endpoint, tls, insecure=row.insecure),
            labels=dict(row.labels),
            created_at=row.created_at,
            registry_credentials=row.registry_credentials,
        )

    return from_row(f"environment {row.id}", build)


def _values(new: NewEnvironment) -> dict[str, Any]:
    tls = new.endpoint.tls
    return {
        "name": new.name,
        "endpoint": new.endpoint.url,
        "tls": None
        if tls is None
        else {"ca": tls.ca, "cert": tls.cert, "key": tls.key, "verify": tls.verify},
        "labels": dict(new.labels),
        "insecure": new.endpoint.insecure,
        "registry_credentials": new.registry_credentials,
    }


def _unique_name(operation: str, new: NewEnvironment) -> AbstractContextManager[None]:
    return unique(
        operation,
        "environments",
        {("name",): f"an environment named {new.name!r} already exists"},
    )


def _refuse_if_used(session: Session, row: EnvironmentRow, operation: str) -> None:
    used = session.scalar(
        select(func.count())
        .select_from(AutoUpdateSettingRow)
        .where(AutoUpdateSettingRow.environment_id == row.id)
    )
    if used:
        raise StoreConflict(
            f"{operation}: environment {row.name!r} still has {used} auto-update setting(s); "
            "delete them first",
            field="environment_id",
        )
