"""The update journal: one run per container update, one step row per step.

A step row is written *before* the step's effect, so after a crash the journal says how far an
update may have got; recovery then looks at the daemon to see how far it really got (see
``colibri.update.recovery``). The old container's full ``docker inspect`` is stored with the
``snapshot`` step, so nothing about it can be lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, Self, TypeVar

__all__ = [
    "LOCK_TTL_SECONDS",
    "LockOwner",
    "NewRun",
    "RunRecord",
    "RunStatus",
    "Step",
    "StepRecord",
]


class Step(StrEnum):
    """Steps of an update, in order. Their values are the failpoint names."""

    RESOLVE = "resolve"
    PULL = "pull"
    GATE = "gate"
    SNAPSHOT = "snapshot"
    CREATE = "create"
    HOOK = "hook"
    RENAME_OLD = "rename_old"
    RENAME_NEW = "rename_new"
    STOP = "stop"
    START = "start"
    RESTART = "restart"  # a unit's restart (containers run by systemd units)
    VERIFY = "verify"
    DEPENDENTS = "dependents"
    COMMIT = "commit"
    ROLLBACK = "rollback"
    RECOVER = "recover"
    DONE = "done"


class RunStatus(StrEnum):
    """A run's state: ``running`` until it finishes, then its outcome."""

    RUNNING = "running"
    UPDATED = "updated"
    UP_TO_DATE = "up_to_date"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    WOULD_UPDATE = "would_update"

    @property
    def finished(self) -> bool:
        return self is not RunStatus.RUNNING


class _Payload(Protocol):
    """A typed step payload (``colibri.domain.steps``)."""

    STEP: ClassVar[Step]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self: ...


P = TypeVar("P", bound=_Payload)

LOCK_TTL_SECONDS = 300.0
"""How long a container's update lock lasts unless its holder refreshes it (a crashed holder's
lock is taken over after this)."""


@dataclass(frozen=True, slots=True)
class LockOwner:
    """Who holds a container's update lock: a run of one process instance.

    ``instance`` is a random id the process draws when it starts, unique to it (two
    processes with one host name, in containers on the host network or on two machines named
    alike, never share it); ``machine`` names the boot and PID namespace in which ``pid`` is
    meaningful. Both are empty for a lock written before they existed: then ``hostname`` and
    ``pid`` are all there is. :func:`colibri.domain.holders.holder_alive` decides from this
    whether the holder still runs."""

    run_id: str
    hostname: str
    pid: int
    instance: str = ""
    machine: str = ""


@dataclass(frozen=True, slots=True)
class NewRun:
    """What is known when a run starts."""

    environment: str
    container_name: str
    container_id: str
    image: str
    trigger: str = "cli"
    dry_run: bool = False
    old_image_id: str | None = None
    old_digest: str | None = None
    new_digest: str | None = None
    run_id: str | None = None  # chosen by the caller when it must lock before the row exists


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One journal row. ``data`` holds what recovery needs (names, IDs, the snapshot)."""

    run_id: str
    seq: int
    step: Step
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as stored; ``steps`` and ``logs`` are filled in by ``Journal.get_run``."""

    id: str
    environment: str
    container_name: str
    container_id: str
    image: str
    status: RunStatus
    trigger: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None = None
    old_image_id: str | None = None
    new_image_id: str | None = None
    old_digest: str | None = None
    new_digest: str | None = None
    reason: str = ""
    downtime_ms: int | None = None
    steps: tuple[StepRecord, ...] = ()
    logs: tuple[tuple[datetime, str, str], ...] = ()

    def last_step(self) -> StepRecord | None:
        return self.steps[-1] if self.steps else None

    def step_data(self, step: Step) -> Mapping[str, Any]:
        """The data of the latest row for ``step`` (empty when the step was not reached)."""
        for record in reversed(self.steps):
            if record.step is step:
                return record.data
        return {}

    def payload(self, kind: type[P]) -> P | None:
        """The latest row of ``kind``'s step, read as ``kind`` (``None`` when not reached).
        Rows written by earlier versions read the same: their keys are the same."""
        for record in reversed(self.steps):
            if record.step is kind.STEP:
                return kind.from_dict(record.data)
        return None

    def reached(self, step: Step) -> bool:
        return any(record.step is step for record in self.steps)

    def as_dict(self, *, with_data: bool = False) -> dict[str, Any]:
        """The JSON form used by ``colibri history`` and the API. Step data (which holds the
        old container's full inspect) only when asked for."""
        return {
            "id": self.id,
            "environment": self.environment,
            "container": self.container_name,
            "container_id": self.container_id,
            "image": self.image,
            "status": self.status.value,
            "trigger": self.trigger,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "old_image_id": self.old_image_id,
            "new_image_id": self.new_image_id,
            "old_digest": self.old_digest,
            "new_digest": self.new_digest,
            "reason": self.reason,
            "downtime_ms": self.downtime_ms,
            "steps": [
                {"seq": s.seq, "step": s.step.value, "at": s.at.isoformat()}
                | ({"data": dict(s.data)} if with_data else {})
                for s in self.steps
            ],
            "logs": [
                {"at": at.isoformat(), "level": level, "message": message}
                for at, level, message in self.logs
            ],
        }
