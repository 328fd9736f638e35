"""Settle a run's containers from its journal: the one rollback rule.

Both the executor's rollback of a failed update and the recovery of an interrupted one go
through :func:`plan_for` and :func:`settle`: look at the daemon (:func:`observe`), decide
with the pure :func:`colibri.domain.recovery.plan_recovery`, apply the plan, then check that
the name exists and runs again when it ran before. So what undoes a failed update is exactly
what a restart would do after a crash at the same step.
"""

from __future__ import annotations

import logging

from colibri.domain.journal import RunRecord, Step
from colibri.domain.ports import Engine
from colibri.domain.recovery import (
    Observed,
    RecoveryAction,
    RecoveryPlan,
    Seen,
    SwapRecord,
    journaled_new_id,
    plan_recovery,
    swap_records,
    temp_name,
    was_running,
)
from colibri.errors import EngineNotFound, UpdateError
from colibri.update.verify import Verifier

__all__ = ["apply", "observe", "plan_for", "settle"]

log = logging.getLogger(__name__)


def plan_for(engine: Engine, run: RunRecord) -> RecoveryPlan:
    """What finishes or undoes ``run``, given what the daemon shows now."""
    return plan_recovery(run, observe(engine, run))


def settle(engine: Engine, verifier: Verifier, run: RunRecord, plan: RecoveryPlan) -> None:
    """Apply ``plan`` (from :func:`plan_for`) to ``run``'s containers. Raises a
    ``ColibriError`` when an action or the final check fails (the run then stays open)."""
    for action in plan.actions:
        apply(engine, action)
    _check(engine, verifier, run, plan)


def observe(engine: Engine, run: RunRecord) -> Observed:
    """The old container (by ID) and the new one: by the ID journaled once it was created,
    else by its temporary name, else as whoever holds the name when it is not the old."""
    old = _seen(engine, run.container_id)
    new = _seen(engine, journaled_new_id(run)) or _seen(engine, temp_name(run))
    if new is None and run.reached(Step.CREATE):
        holder = _seen(engine, run.container_name)
        new = holder if holder is not None and holder.id != run.container_id else None
    if new is not None and old is not None and new.id == old.id:
        new = None
    dependents = [_observe_swap(engine, record) for record in swap_records(run)]
    return Observed(old=old, new=new, dependents=dependents)


def apply(engine: Engine, action: RecoveryAction) -> None:
    log.info("settle: %s %s %s", action.kind, action.target[:19], action.name)
    if action.kind == "remove":
        engine.remove_container(action.target, force=True)
    elif action.kind == "rename":
        engine.rename_container(action.target, action.name)
    elif action.kind == "start":
        engine.start_container(action.target)
    elif action.kind == "retag":
        repository, _, tag = action.name.rpartition(":")
        engine.tag_image(action.target, repository, tag)


def _observe_swap(
    engine: Engine, record: SwapRecord
) -> tuple[SwapRecord, Seen | None, Seen | None]:
    """A dependent's old copy (by ID) and new copy (by temporary name, or holding the name
    with another ID)."""
    old = _seen(engine, record.old_id)
    new = _seen(engine, record.temp_name)
    if new is None:
        holder = _seen(engine, record.name)
        new = holder if holder is not None and holder.id != record.old_id else None
    return record, old, new


def _seen(engine: Engine, name_or_id: str) -> Seen | None:
    if not name_or_id:
        return None
    try:
        container = engine.get_container(name_or_id)
    except EngineNotFound:
        return None
    return Seen(container.id, container.name, container.state in {"running", "restarting"})


def _check(engine: Engine, verifier: Verifier, run: RunRecord, plan: RecoveryPlan) -> None:
    """Afterwards the name must exist, and run if the container ran before: watched for a
    moment once it was stopped (``stop`` reached), else only looked at."""
    if not run.reached(Step.CREATE) and not plan.actions:
        return
    container = engine.get_container(run.container_name)
    stopped = run.reached(Step.STOP)
    if was_running(run):
        _ensure_running(verifier, container.id, container.state, stopped)
    for record in swap_records(run):
        dependent = engine.get_container(record.name)
        if record.was_running:
            _ensure_running(verifier, dependent.id, dependent.state, stopped)


def _ensure_running(verifier: Verifier, container_id: str, state: str, watch: bool) -> None:
    if watch:
        verifier.verify_running(container_id)
    elif state not in {"running", "restarting"}:
        raise UpdateError(f"container {container_id[:12]} is {state}, not running", step="verify")
