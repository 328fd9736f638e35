"""Rows to domain values and back: the only place that knows both shapes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from colibri.domain.journal import NewRun, RunRecord, RunStatus, Step, StepRecord
from colibri.errors import StoreError
from colibri.store.tables import RunLogRow, RunRow, RunStepRow

__all__ = ["json_document", "new_run_row", "run_record", "step_record"]

_Enum = TypeVar("_Enum", RunStatus, Step)


def json_document(data: Mapping[str, Any], operation: str) -> dict[str, Any]:
    """``data`` as a dict for a JSON column, or a ``StoreError`` if JSON cannot hold it.

    Checked here because the drivers disagree on how (and whether) they report it.
    """
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{operation}: the data is not a JSON document ({exc})") from None
    return dict(data)


def new_run_row(run_id: str, run: NewRun, started_at: datetime) -> RunRow:
    """The row of a run that starts now, in status ``running``."""
    return RunRow(
        id=run_id,
        environment=run.environment,
        container_name=run.container_name,
        container_id=run.container_id,
        image=run.image,
        status=RunStatus.RUNNING.value,
        trigger=run.trigger,
        dry_run=run.dry_run,
        started_at=started_at,
        finished_at=None,
        old_image_id=run.old_image_id,
        new_image_id=None,
        old_digest=run.old_digest,
        new_digest=run.new_digest,
        reason="",
        downtime_ms=None,
    )


def run_record(
    row: RunRow, steps: Iterable[RunStepRow] = (), logs: Iterable[RunLogRow] = ()
) -> RunRecord:
    """A run as the domain sees it, with the given steps and logs (in the order given)."""
    return RunRecord(
        id=row.id,
        environment=row.environment,
        container_name=row.container_name,
        container_id=row.container_id,
        image=row.image,
        status=_known(RunStatus, row.status, row.id),
        trigger=row.trigger,
        dry_run=row.dry_run,
        started_at=row.started_at,
        finished_at=row.finished_at,
        old_image_id=row.old_image_id,
        new_image_id=row.new_image_id,
        old_digest=row.old_digest,
        new_digest=row.new_digest,
        reason=row.reason,
        downtime_ms=row.downtime_ms,
        steps=tuple(step_record(step) for step in steps),
        logs=tuple((log.at, log.level, log.message) for log in logs),
    )


def step_record(row: RunStepRow) -> StepRecord:
    """One journal row as the domain sees it."""
    return StepRecord(
        run_id=row.run_id,
        seq=row.seq,
        step=_known(Step, row.step, row.run_id),
        at=row.at,
        data=row.data,
    )


def _known(kind: type[_Enum], value: str, run_id: str) -> _Enum:
    """``kind(value)``, or a ``StoreError`` when a newer Colibri wrote a value we do not know."""
    try:
        return kind(value)
    except ValueError:
        raise StoreError(
            f"run {run_id} has {kind.__name__} {value!r}, unknown to this version of Colibri"
        ) from None
