"""``SqlJournal``: the update journal and the per-container locks in the database.

Implements ``colibri.domain.ports.Journal``. Each method is one transaction that has committed
when the method returns, so a step row is durable before the step's effect happens. A run's
start, steps, log lines and end also add, in the same transaction, a numbered event for live
streams (:mod:`colibri.store.events`). Failures
come out as ``StoreError`` naming the operation (``LockHeld`` for a lock held by someone else).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from colibri.domain.activity import ActivityKind
from colibri.domain.journal import LockOwner, NewRun, RunRecord, RunStatus, Step
from colibri.domain.ports import Clock
from colibri.errors import StoreError
from colibri.store import locks
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.events import add_event
from colibri.store.records import json_document, new_run_row, run_record
from colibri.store.tables import EventRow, RunLogRow, RunRow, RunStepRow

__all__ = ["UPDATABLE_FIELDS", "SqlJournal"]

log = logging.getLogger(__name__)

UPDATABLE_FIELDS = frozenset(
    {
        "container_id",
        "image",
        "old_image_id",
        "new_image_id",
        "old_digest",
        "new_digest",
        "reason",
        "downtime_ms",
    }
)
"""Columns ``update_run`` may set; the status changes only through ``finish_run``."""


_DELETE_BATCH = 500  # ids per DELETE ... IN (...), well under any driver's parameter limit


class SqlJournal:
    """The journal on a SQLAlchemy session factory (see :func:`colibri.store.make_store`)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._now: Callable[[], datetime] = clock.now if clock else _utc_now

    def start_run(self, run: NewRun) -> RunRecord:
        """Create a run in status ``running``; its id is ``run.run_id`` when the caller chose one
        (to lock before the row exists), else a fresh uuid4 in hex."""
        row = new_run_row(run.run_id or uuid4().hex, run, self._now())
        started = {"trigger": run.trigger, "dry_run": run.dry_run, "image": run.image}
        with translate(f"start run for {run.container_name}"), writing(self._sessions) as s:
            s.add(row)
            s.flush()
            add_event(s, row, ActivityKind.STARTED, row.started_at, started)
        log.debug("run %s started for %s", row.id, run.container_name)
        return run_record(row)

    def record_step(self, run_id: str, step: Step, data: Mapping[str, Any] | None = None) -> None:
        """Append step ``step`` (numbered after the run's last one) with its ``data``.

        A run has one writer, the process holding its container's lock; two writers racing on
        one run would collide on ``seq`` and one of them gets a ``StoreError``.
        """
        operation = f"record step {step} of run {run_id}"
        with translate(operation), writing(self._sessions) as s:
            run = _require_run(s, run_id, operation)
            last = s.scalar(select(func.max(RunStepRow.seq)).where(RunStepRow.run_id == run_id))
            row = RunStepRow(
                run_id=run_id,
                seq=(last or 0) + 1,
                step=Step(step).value,
                at=self._now(),
                data=json_document(data or {}, operation),
            )
            s.add(row)
            add_event(s, run, ActivityKind.STEP, row.at, {"seq": row.seq, "step": row.step})

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set some of :data:`UPDATABLE_FIELDS` of a run."""
        operation = f"update run {run_id}"
        unknown = sorted(set(fields) - UPDATABLE_FIELDS)
        if unknown:
            raise StoreError(f"{operation}: cannot set {', '.join(unknown)}")
        with translate(operation), writing(self._sessions) as s:
            _update(s, run_id, fields, operation)

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        reason: str = "",
        downtime_ms: int | None = None,
        new_image_id: str | None = None,
    ) -> None:
        """Set the outcome and ``finished_at``; an empty ``reason`` or a ``None`` keeps the
        value set earlier through ``update_run``."""
        operation = f"finish run {run_id}"
        if not RunStatus(status).finished:
            raise StoreError(f"{operation}: {status} is not an outcome")
        values: dict[str, Any] = {"status": RunStatus(status).value, "finished_at": self._now()}
        if reason:
            values["reason"] = reason
        if downtime_ms is not None:
            values["downtime_ms"] = downtime_ms
        if new_image_id is not None:
            values["new_image_id"] = new_image_id
        with translate(operation), writing(self._sessions) as s:
            _update(s, run_id, values, operation)
            run = s.get_one(RunRow, run_id, populate_existing=True)
            add_event(s, run, ActivityKind.FINISHED, values["finished_at"], _outcome(run))

    def log(self, run_id: str, level: str, message: str) -> None:
        """Append a log line to the run."""
        operation = f"log to run {run_id}"
        with translate(operation), writing(self._sessions) as s:
            run = _require_run(s, run_id, operation)
            at = self._now()
            s.add(RunLogRow(run_id=run_id, at=at, level=level, message=message))
            add_event(s, run, ActivityKind.LOG, at, {"level": level, "message": message})

    def get_run(self, run_id: str) -> RunRecord:
        """One run with its steps (by ``seq``) and logs (in the order written)."""
        operation = f"read run {run_id}"
        with translate(operation), reading(self._sessions) as s:
            row = _require_run(s, run_id, operation)
            steps = s.scalars(
                select(RunStepRow).where(RunStepRow.run_id == run_id).order_by(RunStepRow.seq)
            )
            logs = s.scalars(
                select(RunLogRow).where(RunLogRow.run_id == run_id).order_by(RunLogRow.id)
            )
            return run_record(row, steps.all(), logs.all())

    def list_runs(
        self,
        *,
        container_name: str | None = None,
        environment: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs, newest first (ties by id), without steps and logs."""
        if limit < 0 or offset < 0:
            raise StoreError(f"list runs: limit and offset must be >= 0 (got {limit}, {offset})")
        query = select(RunRow)
        if container_name is not None:
            query = query.where(RunRow.container_name == container_name)
        if environment is not None:
            query = query.where(RunRow.environment == environment)
        query = query.order_by(RunRow.started_at.desc(), RunRow.id.desc())
        with translate("list runs"), reading(self._sessions) as s:
            rows = s.scalars(query.limit(limit).offset(offset)).all()
        return [run_record(row) for row in rows]

    def forget_runs(self, before: datetime, keep_per_container: int) -> int:
        """Delete finished runs started before ``before`` with their steps, logs and events,
        except the newest ``keep_per_container`` runs of each container; how many."""
        rank = (
            func.row_number()
            .over(
                partition_by=(RunRow.environment, RunRow.container_name),
                order_by=(RunRow.started_at.desc(), RunRow.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(RunRow.id, RunRow.started_at, rank)
            .where(RunRow.finished_at.is_not(None))
            .subquery()
        )
        doomed = select(ranked.c.id).where(
            ranked.c.rank > keep_per_container, ranked.c.started_at < before
        )
        with translate("forget old runs"), writing(self._sessions) as s:
            ids = list(s.scalars(doomed))
            for start in range(0, len(ids), _DELETE_BATCH):
                batch = ids[start : start + _DELETE_BATCH]
                for table in (RunStepRow, RunLogRow, EventRow):
                    s.execute(delete(table).where(table.run_id.in_(batch)))
                s.execute(delete(RunRow).where(RunRow.id.in_(batch)))
            return len(ids)

    def unfinished_runs(self, environment: str | None = None) -> list[RunRecord]:
        """Runs still ``running``, oldest first, with their steps (what recovery needs)."""
        query = select(RunRow).where(RunRow.status == RunStatus.RUNNING.value)
        if environment is not None:
            query = query.where(RunRow.environment == environment)
        query = query.order_by(RunRow.started_at, RunRow.id)
        with translate("list unfinished runs"), reading(self._sessions) as s:
            rows = s.scalars(query).all()
            steps = _steps_of(s, [row.id for row in rows])
        return [run_record(row, steps[row.id]) for row in rows]

    def acquire_lock(self, key: str, owner: LockOwner, ttl_seconds: float) -> None:
        """Take ``key``'s lock (see :mod:`colibri.store.locks`) or raise ``LockHeld``."""
        with translate(f"acquire lock {key!r}"), writing(self._sessions) as s:
            locks.acquire(s, key, owner, self._now(), ttl_seconds)

    def refresh_lock(self, key: str, owner: LockOwner, ttl_seconds: float) -> None:
        """Extend our lease on ``key``; ``LockHeld`` if it was taken over or released."""
        with translate(f"refresh lock {key!r}"), writing(self._sessions) as s:
            locks.refresh(s, key, owner, self._now(), ttl_seconds)

    def release_lock(self, key: str, owner: LockOwner) -> None:
        """Release ``key`` if ``owner`` holds it (no error otherwise)."""
        with translate(f"release lock {key!r}"), writing(self._sessions) as s:
            locks.release(s, key, owner)

    def lock_holder(self, key: str) -> LockOwner | None:
        """The holder of ``key``'s live lock, if any."""
        with translate(f"read lock {key!r}"), reading(self._sessions) as s:
            row = locks.holder(s, key, self._now())
            if row is None:
                return None
            return LockOwner(
                row.run_id, row.hostname, row.pid, row.instance or "", row.machine or ""
            )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _outcome(run: RunRow) -> dict[str, object]:
    """What the ``finished`` event of a run tells."""
    return {
        "status": run.status,
        "reason": run.reason,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "downtime_ms": run.downtime_ms,
        "new_digest": run.new_digest,
    }


def _require_run(session: Session, run_id: str, operation: str) -> RunRow:
    row = session.get(RunRow, run_id)
    if row is None:
        raise StoreError(f"{operation}: unknown run id {run_id!r}")
    return row


def _update(session: Session, run_id: str, values: dict[str, Any], operation: str) -> None:
    if not values:
        _require_run(session, run_id, operation)
        return
    if rowcount(session, update(RunRow).where(RunRow.id == run_id).values(**values)) != 1:
        raise StoreError(f"{operation}: unknown run id {run_id!r}")


def _steps_of(session: Session, run_ids: Sequence[str]) -> dict[str, list[RunStepRow]]:
    grouped: dict[str, list[RunStepRow]] = defaultdict(list)
    if run_ids:
        query = (
            select(RunStepRow)
            .where(RunStepRow.run_id.in_(run_ids))
            .order_by(RunStepRow.run_id, RunStepRow.seq)
        )
        for step in session.scalars(query):
            grouped[step.run_id].append(step)
    return grouped
