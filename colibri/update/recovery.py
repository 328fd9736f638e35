"""Finish or undo every interrupted update (``colibri recover``, and the start of ``update``
and ``serve``).

A run is interrupted when its row is still ``running`` and nobody alive holds its container's
lock: its process died (same host, PID gone) or its lock expired. The decision is
:func:`colibri.domain.recovery.plan_recovery`; this module observes the daemon and applies it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from colibri.domain.holders import holder_alive
from colibri.domain.journal import LOCK_TTL_SECONDS, LockOwner, RunRecord, RunStatus, Step
from colibri.domain.ports import Engine, Journal, Units
from colibri.domain.recovery import (
    Observed,
    RecoveryAction,
    Seen,
    SwapRecord,
    plan_recovery,
    swap_records,
)
from colibri.errors import ColibriError, EngineNotFound, LockHeld
from colibri.instance import pid_runs, this_process
from colibri.update.unit_swap import UnitSwap, recover_unit_run
from colibri.update.verify import Verifier

__all__ = ["Recoverer", "RecoveryOutcome"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveryOutcome:
    run_id: str
    container: str
    status: RunStatus | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "container": self.container,
            "status": self.status.value if self.status else None,
            "reason": self.reason,
        }


class Recoverer:
    def __init__(
        self,
        engine: Engine,
        journal: Journal,
        verifier: Verifier,
        *,
        environment: str,
        units: Units | None = None,
    ) -> None:
        self.engine = engine
        self.journal = journal
        self.verifier = verifier
        self.environment = environment
        self.unit_swap = UnitSwap(engine, journal, units, verifier)

    def recover_all(self) -> list[RecoveryOutcome]:
        """Recover every interrupted run of this environment, oldest first."""
        return [self.recover(run) for run in self.journal.unfinished_runs(self.environment)]

    def recover(self, run: RunRecord) -> RecoveryOutcome:
        key = f"{self.environment}/{run.container_name}"
        owner = this_process().owner(run.id)
        holder = self.journal.lock_holder(key)
        if holder is not None and _alive(holder):
            return RecoveryOutcome(run.id, run.container_name, None, "still running elsewhere")
        if holder is not None:
            self.journal.release_lock(key, holder)
        try:
            self.journal.acquire_lock(key, owner, LOCK_TTL_SECONDS)
        except LockHeld as exc:
            return RecoveryOutcome(run.id, run.container_name, None, str(exc))
        try:
            return self._recover_locked(run)
        finally:
            self.journal.release_lock(key, owner)

    def _recover_locked(self, run: RunRecord) -> RecoveryOutcome:
        if any(step.step == Step.RESTART for step in run.steps):  # the unit kind
            status = recover_unit_run(self.unit_swap, self.journal, run)
            return RecoveryOutcome(run.id, run.container_name, status, status.value)
        plan = plan_recovery(run, self._observe(run))
        self.journal.record_step(run.id, Step.RECOVER, {"actions": [a.kind for a in plan.actions]})
        try:
            for action in plan.actions:
                self._apply(action)
            self._check_result(run, plan.status)
        except ColibriError as exc:
            message = f"recovery failed: {exc}"
            self.journal.log(run.id, "ERROR", message)
            log.error("%s: %s", run.container_name, message)
            return RecoveryOutcome(run.id, run.container_name, None, message)
        self.journal.record_step(run.id, Step.DONE, {"status": plan.status.value})
        self.journal.finish_run(run.id, plan.status, reason=plan.reason)
        log.warning("recovered %s: %s (%s)", run.container_name, plan.status.value, plan.reason)
        return RecoveryOutcome(run.id, run.container_name, plan.status, plan.reason)

    def _observe(self, run: RunRecord) -> Observed:
        """The old container (by ID) and the new one: by the ID journaled once it was created,
        else by its temporary name, else as whoever holds the name when it is not the old."""
        old = self._seen(run.container_id)
        new = self._seen(_journaled_new_id(run)) or self._seen(
            str(run.step_data(Step.CREATE).get("temp_name") or "")
        )
        if new is None and run.reached(Step.CREATE):
            holder = self._seen(run.container_name)
            new = holder if holder is not None and holder.id != run.container_id else None
        if new is not None and old is not None and new.id == old.id:
            new = None
        dependents = [self._observe_swap(record) for record in swap_records(run)]
        return Observed(old=old, new=new, dependents=dependents)

    def _observe_swap(self, record: SwapRecord) -> tuple[SwapRecord, Seen | None, Seen | None]:
        """A dependent's old copy (by ID) and new copy (by temporary name, or holding the
        name with another ID)."""
        old = self._seen(record.old_id)
        new = self._seen(record.temp_name)
        if new is None:
            holder = self._seen(record.name)
            new = holder if holder is not None and holder.id != record.old_id else None
        return record, old, new

    def _seen(self, name_or_id: str) -> Seen | None:
        if not name_or_id:
            return None
        try:
            container = self.engine.get_container(name_or_id)
        except EngineNotFound:
            return None
        return Seen(container.id, container.name, container.state in {"running", "restarting"})

    def _apply(self, action: RecoveryAction) -> None:
        log.info("recovery: %s %s %s", action.kind, action.target[:19], action.name)
        if action.kind == "remove":
            self.engine.remove_container(action.target, force=True)
        elif action.kind == "rename":
            self.engine.rename_container(action.target, action.name)
        elif action.kind == "start":
            self.engine.start_container(action.target)
        elif action.kind == "retag":
            repository, _, tag = action.name.rpartition(":")
            self.engine.tag_image(action.target, repository, tag)

    def _check_result(self, run: RunRecord, status: RunStatus) -> None:
        """Afterwards the name must exist, and run if the container ran before."""
        if not run.reached(Step.CREATE) and status is RunStatus.FAILED:
            return
        container = self.engine.get_container(run.container_name)
        if run.step_data(Step.SNAPSHOT).get("was_running", True):
            self.verifier.verify_running(container.id)
        for record in swap_records(run):
            dependent = self.engine.get_container(record.name)
            if record.was_running:
                self.verifier.verify_running(dependent.id)


def _alive(owner: LockOwner) -> bool:
    """Whether a lock holder still runs (:func:`colibri.domain.holders.holder_alive`)."""
    return holder_alive(owner, this_process(), pid_runs)


def _journaled_new_id(run: RunRecord) -> str:
    for record in reversed(run.steps):
        if record.data.get("new_id"):
            return str(record.data["new_id"])
    return ""
