"""Finish or undo every interrupted update (``colibri recover``, and the start of ``update``
and ``serve``).

A run is interrupted when its row is still ``running`` and nobody alive holds its container's
lock: its process died (same host, PID gone) or its lock expired. With the lock taken over,
:func:`colibri.update.undo.settle` applies the one rollback rule to it (the same the executor
applies to a failed update).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from colibri.domain.holders import holder_alive
from colibri.domain.journal import LockOwner, RunRecord, RunStatus, Step
from colibri.domain.ports import Engine, Journal, Units
from colibri.domain.steps import DoneStep, RecoverStep
from colibri.errors import ColibriError, LockHeld
from colibri.instance import pid_runs, this_process
from colibri.update.locks import UpdateLocks, lock_key, owner_for
from colibri.update.undo import plan_for, settle
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
        locks: UpdateLocks | None = None,
        units: Units | None = None,
    ) -> None:
        self.engine = engine
        self.journal = journal
        self.verifier = verifier
        self.environment = environment
        self.locks = locks or UpdateLocks(journal)
        self.unit_swap = UnitSwap(engine, journal, units, verifier)

    def recover_all(self) -> list[RecoveryOutcome]:
        """Recover every interrupted run of this environment, oldest first."""
        return [self.recover(run) for run in self.journal.unfinished_runs(self.environment)]

    def recover(self, run: RunRecord) -> RecoveryOutcome:
        key = lock_key(self.environment, run.container_name)
        holder = self.locks.holder(key)
        if holder is not None and _alive(holder):
            return RecoveryOutcome(run.id, run.container_name, None, "still running elsewhere")
        if holder is not None:
            self.journal.release_lock(key, holder)
        try:
            with self.locks.hold(key, owner_for(run.id)):
                return self._recover_locked(run)
        except LockHeld as exc:
            return RecoveryOutcome(run.id, run.container_name, None, str(exc))

    def _recover_locked(self, run: RunRecord) -> RecoveryOutcome:
        if run.reached(Step.RESTART):  # the unit kind: its unit recreates the container
            status = recover_unit_run(self.unit_swap, self.journal, run)
            return RecoveryOutcome(run.id, run.container_name, status, status.value)
        plan = plan_for(self.engine, run)
        kinds = tuple(action.kind for action in plan.actions)
        self.journal.record_step(run.id, RecoverStep.STEP, RecoverStep(kinds).as_dict())
        try:
            settle(self.engine, self.verifier, run, plan)
        except ColibriError as exc:
            message = f"recovery failed: {exc}"
            self.journal.log(run.id, "ERROR", message)
            log.error("%s: %s", run.container_name, message)
            return RecoveryOutcome(run.id, run.container_name, None, message)
        self.journal.record_step(run.id, DoneStep.STEP, DoneStep(plan.status.value).as_dict())
        self.journal.finish_run(run.id, plan.status, reason=plan.reason)
        log.warning("recovered %s: %s (%s)", run.container_name, plan.status.value, plan.reason)
        return RecoveryOutcome(run.id, run.container_name, plan.status, plan.reason)


def _alive(owner: LockOwner) -> bool:
    """Whether a lock holder still runs (:func:`colibri.domain.holders.holder_alive`)."""
    return holder_alive(owner, this_process(), pid_runs)
