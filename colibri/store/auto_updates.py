"""``SqlAutoUpdates``: per-container auto-update settings and their scheduling claims.

One setting per (environment, container name): a second one is a ``StoreConflict`` on
``container_name``. A disabled setting is stored with no ``next_run_at``, so it is never due.

The scheduler's loop, safe with several ``colibri serve`` processes on one database:

1. :meth:`SqlAutoUpdates.due` lists enabled settings whose ``next_run_at`` has come, oldest
   first, from the ``ix_auto_update_settings_due`` index (``enabled``, ``next_run_at``): the
   cost follows the number of due rows, not the number of settings;
2. :meth:`SqlAutoUpdates.claim` moves one setting's ``next_run_at`` from the value the
   scheduler read to the next slot, with one conditional ``UPDATE`` that counts only if it
   changed exactly one row. Of two processes claiming one slot, one changes the row and the
   other's ``WHERE`` no longer matches (PostgreSQL re-checks it after the first commits;
   SQLite runs write transactions one at a time), so a slot runs once. The next slot is
   computed from *now*, so slots missed while no scheduler ran collapse into one run;
3. :meth:`SqlAutoUpdates.record_result` stores the outcome; it can push ``next_run_at``
   further forward (a backoff after failures) but never back.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, literal, select, true, update
from sqlalchemy.orm import Session

from colibri.domain.journal import RunStatus
from colibri.domain.settings import (
    FAILED_STATUSES,
    AutoUpdateConfig,
    AutoUpdateSetting,
    GateOptions,
    NewAutoUpdate,
    Schedule,
    ScheduleType,
    SettingCriteria,
    UpdatePolicy,
)
from colibri.store.conflicts import StoreConflict, unique
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, from_row, page
from colibri.store.tables import AutoUpdateSettingRow as Row
from colibri.store.tables import EnvironmentRow
from colibri.store.types import UtcDateTime

__all__ = ["SqlAutoUpdates"]


class SqlAutoUpdates(Repository):
    """The auto-update settings repository; every method is one committed transaction."""

    def create(self, new: NewAutoUpdate) -> AutoUpdateSetting:
        """Add a setting. ``StoreConflict``: field ``container_name`` when the container has
        one already, ``environment_id`` when the environment does not exist."""
        operation = f"create auto-update setting for {new.container_name!r}"
        now = self._now()
        row = Row(
            environment_id=new.environment_id,
            container_name=new.container_name,
            **_config_values(new.config, new.next_run_at),
            consecutive_failures=0,
            created_at=now,
            updated_at=now,
        )
        with translate(operation), _unique(operation, new), writing(self._sessions) as s:
            _require_environment(s, new.environment_id, operation)
            s.add(row)
        return setting(row)

    def get(self, setting_id: int) -> AutoUpdateSetting | None:
        """The setting with this id, or ``None``."""
        with translate(f"read auto-update setting {setting_id}"), reading(self._sessions) as s:
            row = s.get(Row, setting_id)
            return None if row is None else setting(row)

    def find(self, environment_id: int, container_name: str) -> AutoUpdateSetting | None:
        """The setting of one container, or ``None``."""
        name = container_name.removeprefix("/")
        query = select(Row).where(Row.environment_id == environment_id, Row.container_name == name)
        with translate(f"read auto-update setting of {name!r}"), reading(self._sessions) as s:
            row = s.scalars(query).first()
            return None if row is None else setting(row)

    def list_settings(
        self, *, environment_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> list[AutoUpdateSetting]:
        """Settings by environment and container name, optionally of one environment."""
        page("list auto-update settings", limit, offset)
        query = select(Row).order_by(Row.environment_id, Row.container_name)
        if environment_id is not None:
            query = query.where(Row.environment_id == environment_id)
        return self._select("list auto-update settings", query.limit(limit).offset(offset))

    def update(
        self, setting_id: int, config: AutoUpdateConfig, *, next_run_at: datetime | None
    ) -> AutoUpdateSetting | None:
        """Replace what the user chose and the next run time (``None`` when disabled or
        unscheduled); ``None`` for an unknown id. The run history is kept."""
        values = {**_config_values(config, next_run_at), "updated_at": self._now()}
        statement = update(Row).where(Row.id == setting_id).values(**values)
        with translate(f"update auto-update setting {setting_id}"), writing(self._sessions) as s:
            if rowcount(s, statement) != 1:
                return None
            return setting(s.get_one(Row, setting_id, populate_existing=True))

    def delete(self, setting_id: int) -> bool:
        """Delete a setting; ``False`` for an unknown id."""
        statement = delete(Row).where(Row.id == setting_id)
        with translate(f"delete auto-update setting {setting_id}"), writing(self._sessions) as s:
            return rowcount(s, statement) == 1

    def due(self, now: datetime, limit: int) -> list[AutoUpdateSetting]:
        """Enabled settings whose ``next_run_at`` is ``now`` or earlier, oldest first, at most
        ``limit`` (read from the index; see the module's docstring)."""
        page("list due auto-update settings", limit, 0)
        query = (
            select(Row)
            .where(Row.enabled == true(), Row.next_run_at <= now)
            .order_by(Row.next_run_at, Row.id)
            .limit(limit)
        )
        return self._select("list due auto-update settings", query)

    def claim(
        self, setting_id: int, expected_next_run_at: datetime, new_next_run_at: datetime | None
    ) -> bool:
        """Take the slot ``expected_next_run_at`` of a setting by moving its next run to
        ``new_next_run_at``; ``True`` only for the one caller whose update changed the row.

        ``False`` when another process claimed the slot first, or the setting was changed,
        disabled or deleted meanwhile: then do not run it."""
        statement = (
            update(Row)
            .where(
                Row.id == setting_id,
                Row.enabled == true(),
                Row.next_run_at == expected_next_run_at,
            )
            .values(next_run_at=new_next_run_at)
        )
        with translate(f"claim auto-update setting {setting_id}"), writing(self._sessions) as s:
            return rowcount(s, statement) == 1

    def record_result(
        self,
        setting_id: int,
        status: RunStatus,
        *,
        run_id: str | None = None,
        finished_at: datetime | None = None,
        next_run_at: datetime | None = None,
    ) -> AutoUpdateSetting | None:
        """Store a run's outcome: last run time (``finished_at``, else now), id and status;
        ``consecutive_failures`` goes up by one for :data:`FAILED_STATUSES`, else back to 0.

        ``next_run_at``, when given, pushes the next run forward to it (a backoff); it never
        moves it back, nor schedules a disabled setting. ``None`` for an unknown id."""
        values = _result_values(RunStatus(status), run_id, finished_at or self._now())
        if next_run_at is not None:
            values["next_run_at"] = _later(next_run_at)
        statement = update(Row).where(Row.id == setting_id).values(**values)
        operation = f"record result of auto-update setting {setting_id}"
        with translate(operation), writing(self._sessions) as s:
            if rowcount(s, statement) != 1:
                return None
            return setting(s.get_one(Row, setting_id, populate_existing=True))

    def _select(self, operation: str, query: Select[Row]) -> list[AutoUpdateSetting]:
        with translate(operation), reading(self._sessions) as s:
            return [setting(row) for row in s.scalars(query)]


def setting(row: Row) -> AutoUpdateSetting:
    """A settings row as the domain's value. ``daily`` and ``weekly`` take this version's
    default cron, whatever cron an older version stored with them."""

    def build() -> AutoUpdateSetting:
        kind = ScheduleType(row.schedule_type)
        cron = row.cron if kind is ScheduleType.CUSTOM else None
        config = AutoUpdateConfig(
            schedule=Schedule.of(kind, cron, row.timezone),
            enabled=row.enabled,
            criteria=SettingCriteria(row.criteria),
            gate=GateOptions.from_dict(row.gate),
            policy=UpdatePolicy(row.policy),
            notify=row.notify,
            window=row.window,
            min_age=row.min_age,
        )
        return AutoUpdateSetting(
            id=row.id,
            environment_id=row.environment_id,
            container_name=row.container_name,
            config=config,
            created_at=row.created_at,
            updated_at=row.updated_at,
            next_run_at=row.next_run_at,
            last_run_at=row.last_run_at,
            last_run_id=row.last_run_id,
            last_status=None if row.last_status is None else RunStatus(row.last_status),
            consecutive_failures=row.consecutive_failures,
        )

    return from_row(f"auto-update setting {row.id}", build)


def _config_values(config: AutoUpdateConfig, next_run_at: datetime | None) -> dict[str, Any]:
    """The columns of what the user chose; no next run while disabled."""
    return {
        "enabled": config.enabled,
        "schedule_type": config.schedule.type.value,
        "cron": config.schedule.cron,
        "timezone": config.schedule.timezone,
        "criteria": config.criteria.value,
        "gate": config.gate.to_dict(),
        "policy": config.policy.value,
        "notify": config.notify,
        "window": config.window,
        "min_age": config.min_age,
        "next_run_at": next_run_at if config.enabled else None,
    }


def _result_values(status: RunStatus, run_id: str | None, at: datetime) -> dict[str, Any]:
    failed = status in FAILED_STATUSES
    return {
        "last_run_at": at,
        "last_run_id": run_id,
        "last_status": status.value,
        "consecutive_failures": Row.consecutive_failures + 1 if failed else 0,
    }


def _later(candidate: datetime) -> Any:
    """``next_run_at`` moved to ``candidate`` if that is later; kept (``NULL`` too) if not."""
    bound = literal(candidate, UtcDateTime())
    return case(
        (and_(Row.next_run_at.is_not(None), Row.next_run_at < bound), bound),
        else_=Row.next_run_at,
    )


def _unique(operation: str, new: NewAutoUpdate) -> AbstractContextManager[None]:
    message = (
        f"container {new.container_name!r} already has an auto-update setting "
        f"in environment {new.environment_id}"
    )
    return unique(
        operation, "auto_update_settings", {("environment_id", "container_name"): message}
    )


def _require_environment(session: Session, environment_id: int, operation: str) -> None:
    if session.get(EnvironmentRow, environment_id) is None:
        raise StoreConflict(
            f"{operation}: environment {environment_id} does not exist", field="environment_id"
        )
