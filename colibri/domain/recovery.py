"""What to do with an update that was interrupted (a crash, a kill, a power cut).

The journal says how far the run may have got; the daemon says how far it really got. The
rule is simple and safe: a run that reached ``commit`` is finished (the new container was
verified), any other run is undone (the new container is removed, the old one gets its name
back and runs again if it ran before). Afterwards exactly one container carries the name.
"""

from __future__ import annotations

from dataclasses import dataclass

from colibri.domain.journal import RunRecord, RunStatus, Step

__all__ = [
    "Observed",
    "RecoveryAction",
    "RecoveryPlan",
    "Seen",
    "plan_recovery",
]


@dataclass(frozen=True, slots=True)
class Seen:
    """A container as the daemon shows it now."""

    id: str
    name: str
    running: bool


@dataclass(frozen=True, slots=True)
class Observed:
    """The daemon's view of the run's two containers (``None``: does not exist)."""

    old: Seen | None
    new: Seen | None


@dataclass(frozen=True, slots=True)
class RecoveryAction:
    """One engine call: ``remove``, ``rename`` (to ``name``), ``start``, or ``retag``
    (tag image ``target`` as ``name``)."""

    kind: str
    target: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class RecoveryPlan:
    actions: tuple[RecoveryAction, ...]
    status: RunStatus
    reason: str


def plan_recovery(run: RunRecord, observed: Observed) -> RecoveryPlan:
    """Decide how to finish or undo ``run`` given what the daemon shows."""
    last = run.last_step()
    where = last.step.value if last else "start"
    name = run.container_name
    was_running = bool(run.step_data(Step.SNAPSHOT).get("was_running", True))
    if run.reached(Step.COMMIT) and observed.new is not None:
        actions = _forward(observed, name, was_running)
        return RecoveryPlan(actions, RunStatus.UPDATED, f"interrupted at {where}; finished")
    if observed.old is None and observed.new is not None:
        actions = _forward(observed, name, was_running)
        reason = f"interrupted at {where}; the old container is gone, kept the new one"
        return RecoveryPlan(actions, RunStatus.FAILED, reason)
    actions = (*_undo(observed, name, was_running), *_restore_tag(run))
    if not run.reached(Step.CREATE):
        reason = f"interrupted at {where}, before the container was touched"
        return RecoveryPlan(actions, RunStatus.FAILED, reason)
    if observed.old is None:
        return RecoveryPlan(actions, RunStatus.FAILED, f"interrupted at {where}; container lost")
    return RecoveryPlan(actions, RunStatus.ROLLED_BACK, f"interrupted at {where}; undone")


def _forward(observed: Observed, name: str, was_running: bool) -> tuple[RecoveryAction, ...]:
    assert observed.new is not None
    actions: list[RecoveryAction] = []
    if observed.old is not None:
        actions.append(RecoveryAction("remove", observed.old.id))
    if observed.new.name != name:
        actions.append(RecoveryAction("rename", observed.new.id, name))
    if was_running and not observed.new.running:
        actions.append(RecoveryAction("start", observed.new.id))
    return tuple(actions)


def _undo(observed: Observed, name: str, was_running: bool) -> tuple[RecoveryAction, ...]:
    actions: list[RecoveryAction] = []
    if observed.new is not None:
        actions.append(RecoveryAction("remove", observed.new.id))
    if observed.old is not None:
        if observed.old.name != name:
            actions.append(RecoveryAction("rename", observed.old.id, name))
        if was_running and not observed.old.running:
            actions.append(RecoveryAction("start", observed.old.id))
    return tuple(actions)


def _restore_tag(run: RunRecord) -> tuple[RecoveryAction, ...]:
    """Point the tag back at the image it named before the pull, when we moved it."""
    pull = run.step_data(Step.PULL)
    previous = pull.get("previous_tag_image")
    tag_ref = pull.get("tag_ref")
    if not run.reached(Step.PULL) or not previous or not tag_ref:
        return ()
    return (RecoveryAction("retag", str(previous), str(tag_ref)),)
