"""What to do with an update that was interrupted (a crash, a kill, a power cut).

The journal says how far the run may have got; the daemon says how far it really got. The
rule is simple and safe: a run that reached ``commit`` is finished (the new container was
verified), any other run is undone (the new container is removed, the old one gets its name
back and runs again if it ran before). Afterwards exactly one container carries the name.

Containers sharing the updated container's network namespace are swapped the same way (their
old copies were stopped before the main container), after the main container, so that an old
dependent starts only once the old namespace owner runs again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from colibri.domain.journal import RunRecord, RunStatus, Step
from colibri.domain.steps import (
    CommitStep,
    CreateStep,
    DependentsStep,
    PullStep,
    RenameNewStep,
    RenameOldStep,
    RollbackStep,
    SnapshotStep,
    StartStep,
    StopStep,
    SwapRecord,
    VerifyStep,
)

__all__ = [
    "Observed",
    "RecoveryAction",
    "RecoveryPlan",
    "Seen",
    "SwapRecord",
    "journaled_new_id",
    "plan_recovery",
    "plan_swap",
    "swap_records",
    "temp_name",
    "was_running",
]


@dataclass(frozen=True, slots=True)
class Seen:
    """A container as the daemon shows it now."""

    id: str
    name: str
    running: bool


@dataclass(frozen=True, slots=True)
class Observed:
    """The daemon's view of the run's containers (``None``: does not exist). ``dependents``
    pairs each journaled dependent with its old and new copies."""

    old: Seen | None
    new: Seen | None
    dependents: Sequence[tuple[SwapRecord, Seen | None, Seen | None]] = field(default=())


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


def swap_records(run: RunRecord) -> list[SwapRecord]:
    """The namespace-sharing dependents journaled with the run's ``stop`` step."""
    stop = run.payload(StopStep)
    return list(stop.dependents) if stop else []


def was_running(run: RunRecord) -> bool:
    """Whether the old container ran when the update began (assumed when not snapshotted)."""
    snapshot = run.payload(SnapshotStep)
    return snapshot.was_running if snapshot else True


def temp_name(run: RunRecord) -> str:
    """The name the new container was created under (empty before ``create``)."""
    create = run.payload(CreateStep)
    return create.temp_name if create else ""


def journaled_new_id(run: RunRecord) -> str:
    """The new container's ID, from the latest step that names it (empty before any does)."""
    kinds = (
        CommitStep,
        RollbackStep,
        DependentsStep,
        VerifyStep,
        StartStep,
        StopStep,
        RenameNewStep,
        RenameOldStep,
    )
    for record in reversed(run.steps):
        for kind in kinds:
            if record.step is kind.STEP:
                new_id = kind.from_dict(record.data).new_id
                if new_id:
                    return new_id
    return ""


def plan_recovery(run: RunRecord, observed: Observed) -> RecoveryPlan:
    """Decide how to finish or undo ``run`` given what the daemon shows."""
    last = run.last_step()
    where = last.step.value if last else "start"
    name = run.container_name
    committed = run.reached(Step.COMMIT)
    forward = committed and observed.new is not None
    if observed.old is None and observed.new is not None:
        forward = True
    main = plan_swap(name, was_running(run), forward, observed.old, observed.new)
    dependents = [
        action
        for record, old, new in observed.dependents
        for action in plan_swap(record.name, record.was_running, forward, old, new)
    ]
    actions = (*main, *dependents, *(() if forward else _restore_tag(run)))
    return RecoveryPlan(actions, *_outcome(run, observed, forward, committed, where))


def _outcome(
    run: RunRecord, observed: Observed, forward: bool, committed: bool, where: str
) -> tuple[RunStatus, str]:
    if forward and committed:
        return RunStatus.UPDATED, f"interrupted at {where}; finished"
    if forward:
        return RunStatus.FAILED, f"interrupted at {where}; the old container is gone, kept the new"
    if not run.reached(Step.CREATE):
        return RunStatus.FAILED, f"interrupted at {where}, before the container was touched"
    if observed.old is None:
        return RunStatus.FAILED, f"interrupted at {where}; container lost"
    return RunStatus.ROLLED_BACK, f"interrupted at {where}; undone"


def plan_swap(
    name: str, was_running: bool, forward: bool, old: Seen | None, new: Seen | None
) -> tuple[RecoveryAction, ...]:
    """Finish (``forward``) or undo one container's replacement."""
    if forward and new is not None:
        return _forward(name, was_running, old, new)
    return _undo(name, was_running, old, new)


def _forward(
    name: str, was_running: bool, old: Seen | None, new: Seen
) -> tuple[RecoveryAction, ...]:
    actions: list[RecoveryAction] = []
    if old is not None:
        actions.append(RecoveryAction("remove", old.id))
    if new.name != name:
        actions.append(RecoveryAction("rename", new.id, name))
    if was_running and not new.running:
        actions.append(RecoveryAction("start", new.id))
    return tuple(actions)


def _undo(
    name: str, was_running: bool, old: Seen | None, new: Seen | None
) -> tuple[RecoveryAction, ...]:
    actions: list[RecoveryAction] = []
    if new is not None:
        actions.append(RecoveryAction("remove", new.id))
    if old is not None:
        if old.name != name:
            actions.append(RecoveryAction("rename", old.id, name))
        if was_running and not old.running:
            actions.append(RecoveryAction("start", old.id))
    return tuple(actions)


def _restore_tag(run: RunRecord) -> tuple[RecoveryAction, ...]:
    """Point the tag back at the image it named before the pull, when we moved it."""
    pull = run.payload(PullStep)
    if pull is None or not pull.previous_tag_image or not pull.tag_ref:
        return ()
    return (RecoveryAction("retag", pull.previous_tag_image, pull.tag_ref),)
