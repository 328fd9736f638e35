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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.journal import RunRecord, RunStatus, Step

__all__ = [
    "Observed",
    "RecoveryAction",
    "RecoveryPlan",
    "Seen",
    "SwapRecord",
    "plan_recovery",
    "plan_swap",
    "swap_records",
]


@dataclass(frozen=True, slots=True)
class Seen:
    """A container as the daemon shows it now."""

    id: str
    name: str
    running: bool


@dataclass(frozen=True, slots=True)
class SwapRecord:
    """One container being replaced, as journaled: its old ID, its name, the names used for
    the new copy and for the old one set aside, and whether it ran."""

    old_id: str
    name: str
    temp_name: str
    aside_name: str
    was_running: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SwapRecord:
        return cls(
            str(data["old_id"]),
            str(data["name"]),
            str(data["temp_name"]),
            str(data["aside_name"]),
            bool(data["was_running"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "old_id": self.old_id,
            "name": self.name,
            "temp_name": self.temp_name,
            "aside_name": self.aside_name,
            "was_running": self.was_running,
        }


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
    return [SwapRecord.from_dict(item) for item in run.step_data(Step.STOP).get("dependents", [])]


def plan_recovery(run: RunRecord, observed: Observed) -> RecoveryPlan:
    """Decide how to finish or undo ``run`` given what the daemon shows."""
    last = run.last_step()
    where = last.step.value if last else "start"
    name = run.container_name
    was_running = bool(run.step_data(Step.SNAPSHOT).get("was_running", True))
    committed = run.reached(Step.COMMIT)
    forward = committed and observed.new is not None
    if observed.old is None and observed.new is not None:
        forward = True
    main = plan_swap(name, was_running, forward, observed.old, observed.new)
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
    pull = run.step_data(Step.PULL)
    previous = pull.get("previous_tag_image")
    tag_ref = pull.get("tag_ref")
    if not run.reached(Step.PULL) or not previous or not tag_ref:
        return ()
    return (RecoveryAction("retag", str(previous), str(tag_ref)),)
