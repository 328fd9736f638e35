"""Auto-update settings as the API shows and takes them.

``AutoUpdateBase`` is what a user chooses (every field has the product's default);
``AutoUpdateCreate`` adds the container it is for; ``AutoUpdateUpdate`` changes some fields
(left out or ``null``: kept); ``AutoUpdatePublic`` is a stored setting with the scheduler's
bookkeeping. ``daily`` and ``weekly`` show the cron they stand for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from colibri.api.schemas.common import ContainerName, Id, RequestModel, ResponseModel
from colibri.domain.criteria import Level, OnFailure, UnknownAs
from colibri.domain.journal import RunStatus
from colibri.domain.settings import (
    DEFAULT_TIMEZONE,
    AutoUpdateConfig,
    AutoUpdateSetting,
    GateOptions,
    Schedule,
    ScheduleType,
    UpdatePolicy,
)

__all__ = [
    "AutoUpdateBase",
    "AutoUpdateCreate",
    "AutoUpdatePublic",
    "AutoUpdateUpdate",
    "GateModel",
    "GatePatch",
    "RunStarted",
]

Cron = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]*$")
]
Timezone = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")
]
_CRON = (
    "Five fields: minute hour day-of-month month day-of-week (`0 4 * * *`), for a custom "
    "schedule; daily and weekly have their own."
)
_TIMEZONE = "An IANA time zone the cron is read in (`UTC`, `Europe/Paris`)."


class GateModel(RequestModel):
    """How the vulnerability gate judges a candidate image, and whether it must be signed."""

    only_fixable: bool = False
    not_worse_than_running: bool = False
    unknown_as: UnknownAs = UnknownAs.CRITICAL
    on_failure: OnFailure = OnFailure.BLOCK
    require_signature: bool = False

    @classmethod
    def from_domain(cls, gate: GateOptions) -> GateModel:
        """The API's form of the domain's value."""
        return cls.model_validate(gate.to_dict())


class GatePatch(RequestModel):
    """Some gate options to change; the others are kept."""

    only_fixable: bool | None = None
    not_worse_than_running: bool | None = None
    unknown_as: UnknownAs | None = None
    on_failure: OnFailure | None = None
    require_signature: bool | None = None

    def applied_to(self, gate: GateOptions) -> GateOptions:
        """These changes applied; ``Invalid`` naming the field the domain refuses."""
        changes = {key: value for key, value in self.model_dump().items() if value is not None}
        return GateOptions.from_dict({**gate.to_dict(), **changes})


class AutoUpdateBase(RequestModel):
    """What a user chooses for one container; a field left out takes its default."""

    enabled: bool = True
    schedule_type: ScheduleType = ScheduleType.DAILY
    cron: Cron | None = Field(None, description=_CRON)
    timezone: Timezone = Field(DEFAULT_TIMEZONE, description=_TIMEZONE)
    criteria: Level = Field(
        Level.NEVER, description="Block an update with findings this severe or worse."
    )
    gate: GateModel = Field(default_factory=GateModel)
    policy: UpdatePolicy = Field(
        UpdatePolicy.DIGEST,
        description="`digest`: follow the tag; the others move to newer version tags.",
    )
    notify: bool = True

    def to_config(self) -> AutoUpdateConfig:
        """The domain's value; ``Invalid`` naming the field the domain refuses."""
        gate = self.gate
        return AutoUpdateConfig(
            schedule=Schedule.of(self.schedule_type, self.cron, self.timezone),
            enabled=self.enabled,
            criteria=self.criteria,
            gate=GateOptions(
                only_fixable=gate.only_fixable,
                not_worse_than_running=gate.not_worse_than_running,
                unknown_as=gate.unknown_as,
                on_failure=gate.on_failure,
                require_signature=gate.require_signature,
            ),
            policy=self.policy,
            notify=self.notify,
        )


class AutoUpdateCreate(AutoUpdateBase):
    """A new setting: the container (by name, in an environment) and what is chosen for it."""

    environment_id: Id
    container_name: ContainerName


class AutoUpdateUpdate(RequestModel):
    """Fields to change; those left out (or ``null``) keep their value. Changing
    ``schedule_type`` to daily or weekly without a ``cron`` takes that schedule's cron."""

    enabled: bool | None = None
    schedule_type: ScheduleType | None = None
    cron: Cron | None = Field(None, description=_CRON)
    timezone: Timezone | None = Field(None, description=_TIMEZONE)
    criteria: Level | None = None
    gate: GatePatch | None = None
    policy: UpdatePolicy | None = None
    notify: bool | None = None

    def applied_to(self, config: AutoUpdateConfig) -> AutoUpdateConfig:
        """``config`` with these changes; ``Invalid`` naming the field the domain refuses."""
        return AutoUpdateConfig(
            schedule=self._schedule(config.schedule),
            enabled=config.enabled if self.enabled is None else self.enabled,
            criteria=self.criteria or config.criteria,
            gate=config.gate if self.gate is None else self.gate.applied_to(config.gate),
            policy=self.policy or config.policy,
            notify=config.notify if self.notify is None else self.notify,
        )

    def _schedule(self, current: Schedule) -> Schedule:
        kind = self.schedule_type or current.type
        cron = self.cron
        if cron is None and kind is ScheduleType.CUSTOM:
            cron = current.cron
        return Schedule.of(kind, cron, self.timezone or current.timezone)


class AutoUpdatePublic(ResponseModel):
    """A stored setting, with when it runs next and how its last run went."""

    id: int
    environment_id: int
    container_name: str
    enabled: bool
    schedule_type: ScheduleType
    cron: str
    timezone: str
    criteria: Level
    gate: GateModel
    policy: UpdatePolicy
    notify: bool
    created_at: datetime
    updated_at: datetime
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_run_id: str | None
    last_status: RunStatus | None
    consecutive_failures: int

    @classmethod
    def from_domain(cls, setting: AutoUpdateSetting) -> AutoUpdatePublic:
        """The API's form of the domain's value."""
        config = setting.config
        return cls(
            id=setting.id,
            environment_id=setting.environment_id,
            container_name=setting.container_name,
            enabled=config.enabled,
            schedule_type=config.schedule.type,
            cron=config.schedule.cron,
            timezone=config.schedule.timezone,
            criteria=config.criteria,
            gate=GateModel.from_domain(config.gate),
            policy=config.policy,
            notify=config.notify,
            created_at=setting.created_at,
            updated_at=setting.updated_at,
            next_run_at=setting.next_run_at,
            last_run_at=setting.last_run_at,
            last_run_id=setting.last_run_id,
            last_status=setting.last_status,
            consecutive_failures=setting.consecutive_failures,
        )


class RunStarted(ResponseModel):
    """A run started on demand: follow it at ``/api/runs/{run_id}`` and its ``/events``."""

    run_id: str
