"""What each journal step records, as typed values.

The executor writes one of these per step (``as_dict`` is the row's data); recovery and the
executor's own undo read them back with :meth:`colibri.domain.journal.RunRecord.payload`. The
keys are the ones the journal has always used, and every reader tolerates a missing key, so
runs written by earlier versions are read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from colibri.domain.journal import Step

__all__ = [
    "CommitStep",
    "CreateStep",
    "DependentsStep",
    "DoneStep",
    "GateStep",
    "PullStep",
    "RecoverStep",
    "RenameNewStep",
    "RenameOldStep",
    "ResolveStep",
    "RestartStep",
    "RollbackStep",
    "SnapshotStep",
    "StartStep",
    "StepPayload",
    "StopStep",
    "SwapRecord",
    "VerifyStep",
]


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _opt(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value in (None, "") else str(value)


def _map(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _unit(unit: str) -> dict[str, Any]:
    """The ``unit`` key, only on a unit's rows."""
    return {"unit": unit} if unit else {}


def _list(data: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = data.get(key)
    return value if isinstance(value, list | tuple) else ()


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
            _str(data, "old_id"),
            _str(data, "name"),
            _str(data, "temp_name"),
            _str(data, "aside_name"),
            bool(data.get("was_running", True)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "old_id": self.old_id,
            "name": self.name,
            "temp_name": self.temp_name,
            "aside_name": self.aside_name,
            "was_running": self.was_running,
        }


class StepPayload:
    """The base of every payload: which step it belongs to."""

    STEP: ClassVar[Step]
    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        raise NotImplementedError

    def as_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ResolveStep(StepPayload):
    STEP: ClassVar[Step] = Step.RESOLVE
    ref: str
    digest: str
    old_id: str
    old_image_id: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResolveStep:
        keys = ("ref", "digest", "old_id", "old_image_id")
        return cls(*(_str(data, key) for key in keys))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "digest": self.digest,
            "old_id": self.old_id,
            "old_image_id": self.old_image_id,
        }


@dataclass(frozen=True, slots=True)
class PullStep(StepPayload):
    """``tag_ref`` is moved to the pulled image; ``previous_tag_image`` is what it named
    before (to point it back on undo)."""

    STEP: ClassVar[Step] = Step.PULL
    repository: str
    digest: str
    tag_ref: str
    platform: str | None = None
    previous_tag_image: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PullStep:
        return cls(
            _str(data, "repository"),
            _str(data, "digest"),
            _str(data, "tag_ref"),
            _opt(data, "platform"),
            _opt(data, "previous_tag_image"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "digest": self.digest,
            "platform": self.platform,
            "tag_ref": self.tag_ref,
            "previous_tag_image": self.previous_tag_image,
        }


@dataclass(frozen=True, slots=True)
class GateStep(StepPayload):
    """The gate's decision on the pulled digest, with its details (policy, scan records,
    signature result)."""

    STEP: ClassVar[Step] = Step.GATE
    digest: str
    image_id: str | None
    allowed: bool
    reason: str
    warnings: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateStep:
        return cls(
            _str(data, "digest"),
            _opt(data, "image_id"),
            bool(data.get("allowed", False)),
            _str(data, "reason"),
            tuple(str(w) for w in _list(data, "warnings")),
            dict(_map(data, "details")),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "image_id": self.image_id,
            "allowed": self.allowed,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True)
class SnapshotStep(StepPayload):
    """The old container's full inspect and both images' configurations."""

    STEP: ClassVar[Step] = Step.SNAPSHOT
    inspect: Mapping[str, Any]
    was_running: bool = True
    old_image_config: Mapping[str, Any] = field(default_factory=dict)
    new_image_config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SnapshotStep:
        return cls(
            _map(data, "inspect"),
            bool(data.get("was_running", True)),
            _map(data, "old_image_config"),
            _map(data, "new_image_config"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "inspect": self.inspect,
            "was_running": self.was_running,
            "old_image_config": self.old_image_config,
            "new_image_config": self.new_image_config,
        }


@dataclass(frozen=True, slots=True)
class CreateStep(StepPayload):
    """The new container's create body, and the names of the new and the set-aside copy."""

    STEP: ClassVar[Step] = Step.CREATE
    temp_name: str
    aside_name: str
    body: Mapping[str, Any] = field(default_factory=dict)
    networks: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreateStep:
        return cls(
            _str(data, "temp_name"),
            _str(data, "aside_name"),
            _map(data, "body"),
            _map(data, "networks"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "temp_name": self.temp_name,
            "aside_name": self.aside_name,
            "body": self.body,
            "networks": dict(self.networks),
        }


@dataclass(frozen=True, slots=True)
class RenameOldStep(StepPayload):
    """The old container is renamed to ``name`` (aside)."""

    STEP: ClassVar[Step] = Step.RENAME_OLD
    old_id: str
    new_id: str
    name: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenameOldStep:
        return cls(_str(data, "old_id"), _str(data, "new_id"), _str(data, "name"))

    def as_dict(self) -> dict[str, Any]:
        return {"old_id": self.old_id, "new_id": self.new_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class RenameNewStep(StepPayload):
    """The new container takes the name ``name``."""

    STEP: ClassVar[Step] = Step.RENAME_NEW
    old_id: str
    new_id: str
    name: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenameNewStep:
        return cls(_str(data, "old_id"), _str(data, "new_id"), _str(data, "name"))

    def as_dict(self) -> dict[str, Any]:
        return {"old_id": self.old_id, "new_id": self.new_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class StopStep(StepPayload):
    """The old container (and the containers sharing its namespace, ``dependents``) stop."""

    STEP: ClassVar[Step] = Step.STOP
    old_id: str
    new_id: str
    temp_name: str = ""
    aside_name: str = ""
    was_running: bool = True
    dependents: tuple[SwapRecord, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StopStep:
        return cls(
            _str(data, "old_id"),
            _str(data, "new_id"),
            _str(data, "temp_name"),
            _str(data, "aside_name"),
            bool(data.get("was_running", True)),
            tuple(SwapRecord.from_dict(item) for item in _list(data, "dependents")),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "old_id": self.old_id,
            "new_id": self.new_id,
            "temp_name": self.temp_name,
            "aside_name": self.aside_name,
            "was_running": self.was_running,
            "dependents": [record.as_dict() for record in self.dependents],
        }


@dataclass(frozen=True, slots=True)
class StartStep(StepPayload):
    STEP: ClassVar[Step] = Step.START
    new_id: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StartStep:
        return cls(_str(data, "new_id"))

    def as_dict(self) -> dict[str, Any]:
        return {"new_id": self.new_id}


@dataclass(frozen=True, slots=True)
class RestartStep(StepPayload):
    """A container its systemd unit runs: the unit is restarted (it recreates the container
    from the tag)."""

    STEP: ClassVar[Step] = Step.RESTART
    unit: str
    name: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RestartStep:
        return cls(_str(data, "unit"), _str(data, "name"))

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "name": self.name}


@dataclass(frozen=True, slots=True)
class VerifyStep(StepPayload):
    STEP: ClassVar[Step] = Step.VERIFY
    new_id: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerifyStep:
        return cls(_str(data, "new_id"))

    def as_dict(self) -> dict[str, Any]:
        return {"new_id": self.new_id}


@dataclass(frozen=True, slots=True)
class DependentsStep(StepPayload):
    """Namespace sharers recreated in the new namespace; declared dependents restarted."""

    STEP: ClassVar[Step] = Step.DEPENDENTS
    new_id: str
    recreate: tuple[SwapRecord, ...] = ()
    restart: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DependentsStep:
        return cls(
            _str(data, "new_id"),
            tuple(SwapRecord.from_dict(item) for item in _list(data, "recreate")),
            tuple(str(item) for item in _list(data, "restart")),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "new_id": self.new_id,
            "recreate": [record.as_dict() for record in self.recreate],
            "restart": list(self.restart),
        }


@dataclass(frozen=True, slots=True)
class CommitStep(StepPayload):
    """The new container was verified: the old one is removed."""

    STEP: ClassVar[Step] = Step.COMMIT
    old_id: str
    new_id: str
    unit: str = ""  # the systemd unit that restarted it, for a unit's container

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommitStep:
        return cls(_str(data, "old_id"), _str(data, "new_id"), _str(data, "unit"))

    def as_dict(self) -> dict[str, Any]:
        return {"old_id": self.old_id, "new_id": self.new_id} | _unit(self.unit)


@dataclass(frozen=True, slots=True)
class RollbackStep(StepPayload):
    """The update failed after the switch began (``reason``): it is being undone."""

    STEP: ClassVar[Step] = Step.ROLLBACK
    reason: str
    old_id: str
    new_id: str | None = None
    was_running: bool = True
    unit: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RollbackStep:
        return cls(
            _str(data, "reason"),
            _str(data, "old_id"),
            _opt(data, "new_id"),
            bool(data.get("was_running", True)),
            _str(data, "unit"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "old_id": self.old_id,
            "new_id": self.new_id,
            "was_running": self.was_running,
        } | _unit(self.unit)


@dataclass(frozen=True, slots=True)
class RecoverStep(StepPayload):
    """Recovery's plan: the kinds of the actions it applies."""

    STEP: ClassVar[Step] = Step.RECOVER
    actions: tuple[str, ...] = ()
    unit: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecoverStep:
        return cls(tuple(str(item) for item in _list(data, "actions")), _str(data, "unit"))

    def as_dict(self) -> dict[str, Any]:
        return {"actions": list(self.actions)} | _unit(self.unit)


@dataclass(frozen=True, slots=True)
class DoneStep(StepPayload):
    STEP: ClassVar[Step] = Step.DONE
    status: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DoneStep:
        return cls(_str(data, "status"))

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status}
