"""``SqlLabelSlots``: what ``colibri serve`` does with each opted-in container, and the slots
of the schedules its labels (or ``COLIBRI_SCHEDULE``) drive.

:meth:`SqlLabelSlots.sync` makes one environment's rows what its containers' plans say, in one
transaction: a new container gets its first slot, a changed schedule a new one, an unchanged
one keeps its slot (so several services syncing the same containers move nothing), a
container gone or no longer opted in loses its row. The slots are then claimed exactly as
settings' are (:mod:`colibri.store.auto_updates`): :meth:`due` lists those whose time has
come, :meth:`claim` moves one to its next slot with one conditional ``UPDATE`` that only one
process can win, :meth:`record_result` stores the outcome and may push the next run back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, literal, select, update

from colibri.domain.journal import RunStatus
from colibri.domain.service_plan import ContainerPlan, LabelSlot, Mode, ScheduleSource
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.repository import Repository, dialect_insert, from_row, page
from colibri.store.tables import AutoUpdateSettingRow
from colibri.store.tables import LabelSlotRow as Row
from colibri.store.types import UtcDateTime

__all__ = ["SqlLabelSlots"]


class SqlLabelSlots(Repository):
    """Every method is one committed transaction."""

    def sync(
        self, environment_id: int, plans: Mapping[str, tuple[ContainerPlan, datetime | None]]
    ) -> None:
        """Make the environment's rows match ``plans`` (container name → its plan and the
        first slot it gets when its schedule is new or changed)."""
        operation = f"sync the containers of environment {environment_id}"
        with translate(operation), writing(self._sessions) as s:
            rows = {
                row.container_name: row
                for row in s.scalars(select(Row).where(Row.environment_id == environment_id))
            }
            gone = set(rows) - set(plans)
            if gone:
                s.execute(
                    delete(Row).where(
                        Row.environment_id == environment_id, Row.container_name.in_(gone)
                    )
                )
            for name, (plan, first) in plans.items():
                row = rows.get(name)
                if row is None:
                    values = {"environment_id": environment_id, "container_name": name}
                    statement = dialect_insert(s, Row).values(**values, **_plan(plan, first))
                    s.execute(statement.on_conflict_do_nothing())
                elif (row.cron, row.timezone, row.source) != (
                    plan.cron,
                    plan.timezone,
                    plan.source,
                ):
                    row.cron, row.timezone, row.source = plan.cron, plan.timezone, plan.source
                    row.next_run_at = first
                    row.mode, row.cleanup = plan.mode.value, plan.cleanup
                elif (row.mode, row.cleanup) != (plan.mode.value, plan.cleanup):
                    row.mode, row.cleanup = plan.mode.value, plan.cleanup

    def get(self, environment_id: int, container_name: str) -> LabelSlot | None:
        """One container's row, or ``None``."""
        with translate(f"read the plan of {container_name}"), reading(self._sessions) as s:
            row = s.get(Row, (environment_id, container_name))
            return None if row is None else _slot(row)

    def list_slots(self, environment_id: int | None = None) -> list[LabelSlot]:
        """Rows by environment and container name."""
        query = select(Row).order_by(Row.environment_id, Row.container_name)
        if environment_id is not None:
            query = query.where(Row.environment_id == environment_id)
        with translate("list the containers' plans"), reading(self._sessions) as s:
            return [_slot(row) for row in s.scalars(query)]

    def due(self, now: datetime, limit: int) -> list[LabelSlot]:
        """Label-driven slots whose time has come, oldest first, at most ``limit``; never one
        of a container that has a setting (made since the last sync: the setting decides)."""
        page("list due label slots", limit, 0)
        has_setting = exists().where(
            AutoUpdateSettingRow.environment_id == Row.environment_id,
            AutoUpdateSettingRow.container_name == Row.container_name,
        )
        query = (
            select(Row)
            .where(
                Row.next_run_at <= now,
                Row.source != ScheduleSource.SETTING.value,
                ~has_setting,
            )
            .order_by(Row.next_run_at, Row.environment_id, Row.container_name)
            .limit(limit)
        )
        with translate("list due label slots"), reading(self._sessions) as s:
            return [_slot(row) for row in s.scalars(query)]

    def claim(
        self,
        environment_id: int,
        container_name: str,
        expected_next_run_at: datetime,
        new_next_run_at: datetime | None,
    ) -> bool:
        """Take the slot ``expected_next_run_at`` by moving it to ``new_next_run_at``; ``True``
        only for the one caller whose update changed the row."""
        statement = (
            update(Row)
            .where(
                Row.environment_id == environment_id,
                Row.container_name == container_name,
                Row.next_run_at == expected_next_run_at,
            )
            .values(next_run_at=new_next_run_at)
        )
        with translate(f"claim the slot of {container_name}"), writing(self._sessions) as s:
            return rowcount(s, statement) == 1

    def record_result(
        self,
        environment_id: int,
        container_name: str,
        status: RunStatus,
        *,
        run_id: str | None = None,
        next_run_at: datetime | None = None,
    ) -> None:
        """Store a label-driven run's outcome; ``next_run_at`` pushes the next slot forward to
        it (never back)."""
        values: dict[str, Any] = {
            "last_run_at": self._now(),
            "last_run_id": run_id,
            "last_status": RunStatus(status).value,
        }
        if next_run_at is not None:
            bound = literal(next_run_at, UtcDateTime())
            values["next_run_at"] = case(
                (and_(Row.next_run_at.is_not(None), Row.next_run_at < bound), bound),
                else_=Row.next_run_at,
            )
        statement = (
            update(Row)
            .where(Row.environment_id == environment_id, Row.container_name == container_name)
            .values(**values)
        )
        with translate(f"record the run of {container_name}"), writing(self._sessions) as s:
            rowcount(s, statement)


def _plan(plan: ContainerPlan, first: datetime | None) -> dict[str, Any]:
    return {
        "cron": plan.cron,
        "timezone": plan.timezone,
        "source": plan.source.value,
        "mode": plan.mode.value,
        "cleanup": plan.cleanup,
        "next_run_at": first,
    }


def _slot(row: Row) -> LabelSlot:
    def build() -> LabelSlot:
        plan = ContainerPlan(
            row.cron, row.timezone, ScheduleSource(row.source), Mode(row.mode), row.cleanup
        )
        return LabelSlot(
            environment_id=row.environment_id,
            container_name=row.container_name,
            plan=plan,
            next_run_at=row.next_run_at,
            last_run_at=row.last_run_at,
            last_run_id=row.last_run_id,
            last_status=None if row.last_status is None else RunStatus(row.last_status),
        )

    return from_row(f"plan of {row.container_name}", build)
