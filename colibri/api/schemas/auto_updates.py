"""Auto-update settings as the API shows and takes them.

``AutoUpdateBase`` is what a user chooses (every field has the product's default);
``AutoUpdateCreate`` adds the container it is for (in the ``local`` environment unless
``environment_id`` says otherwise); ``AutoUpdateUpdate`` changes some fields (left out or
``null``: kept); ``AutoUpdatePublic`` is a stored setting with the scheduler's bookkeeping.
``daily`` and ``weekly`` show the cron they stand for.

The field names are the settings form's: ``container_name``, ``schedule_type``,
``cron_expression``, ``vulnerability_criteria``; ``cron`` and ``criteria`` are accepted for
the last two as well (not both spellings at once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, Field, StringConstraints, model_validator

from colibri.api.schemas.common import ContainerName, Id, RequestModel, ResponseModel
from colibri.domain.criteria import OnFailure, UnknownAs
from colibri.domain.journal import RunStatus
from colibri.domain.settings import (
    DEFAULT_TIMEZONE,
    AutoUpdateConfig,
    AutoUpdateSetting,
    GateOptions,
    Schedule,
    ScheduleType,
    SettingCriteria,
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
    "Five fields: minute hour day-of-month month day-of-week (`0 3 * * *`), for a custom "
    "schedule; daily (`0 3 * * *`) and weekly (`0 3 * * 1`) have their own, which may be "
    "sent along. Also accepted as `cron`."
)
_CRITERIA = (
    "`inherit` (the default): the global `COLIBRI_CRITERIA`; `never`: never scan this "
    "container, even when a global criteria is set; `critical`, `high`, `medium`, `low`: "
    "block an update with findings this severe or worse. Also accepted as `criteria`."
)
_ALIASES = {"cron": "cron_expression", "criteria": "vulnerability_criteria"}


def _cron_field() -> Any:
    return Field(None, validation_alias=AliasChoices("cron_expression", "cron"), description=_CRON)


def _one_spelling(data: Any) -> Any:
    """Refuse a body that names one field in both spellings (which one would count?)."""
    if isinstance(data, dict):
        for alias, name in _ALIASES.items():
            if alias in data and name in data:
                raise ValueError(f"give {name} or {alias}, not both")
    return data


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


_WINDOW = (
    "When this container's updates may start, as `Sat,Sun 02:00-05:00 Europe/Paris` (several "
    "joined with `;`), or `off` (any time); its label `colibri.window` wins, and this wins "
    "over its environment's and `COLIBRI_WINDOW`; `null`: inherit them."
)
_MIN_AGE = (
    "How old a new image must be before it is installed (`3d`, `12h`, or `off`); the label "
    "`colibri.min-age` wins, and this wins over `COLIBRI_MIN_AGE`; `null`: inherit it."
)
WindowText = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00-\x1f\x7f]*$")]
MinAgeText = Annotated[str, StringConstraints(max_length=32, pattern=r"^[^\x00-\x1f\x7f]*$")]


def _kept(change: str | None, current: str | None) -> str | None:
    """A patched optional text: ``None`` keeps it, an empty one clears it (inherit)."""
    if change is None:
        return current
    return change if change.strip() else None


class AutoUpdateBase(RequestModel):
    """What a user chooses for one container; a field left out takes its default."""

    enabled: bool = True
    schedule_type: ScheduleType = ScheduleType.DAILY
    cron_expression: Cron | None = _cron_field()
    timezone: Timezone = Field(DEFAULT_TIMEZONE, description=_TIMEZONE)
    vulnerability_criteria: SettingCriteria = Field(
        SettingCriteria.INHERIT,
        validation_alias=AliasChoices("vulnerability_criteria", "criteria"),
        description=_CRITERIA,
    )
    gate: GateModel = Field(default_factory=GateModel)
    policy: UpdatePolicy = Field(
        UpdatePolicy.DIGEST,
        description="`digest`: follow the tag; the others move to newer version tags.",
    )
    notify: bool = True
    window: WindowText | None = Field(None, description=_WINDOW)
    min_age: MinAgeText | None = Field(None, description=_MIN_AGE)

    @model_validator(mode="before")
    @classmethod
    def _spellings(cls, data: Any) -> Any:
        return _one_spelling(data)

    def to_config(self) -> AutoUpdateConfig:
        """The domain's value; ``Invalid`` naming the field the domain refuses."""
        gate = self.gate
        return AutoUpdateConfig(
            schedule=Schedule.of(self.schedule_type, self.cron_expression, self.timezone),
            enabled=self.enabled,
            criteria=self.vulnerability_criteria,
            gate=GateOptions(
                only_fixable=gate.only_fixable,
                not_worse_than_running=gate.not_worse_than_running,
                unknown_as=gate.unknown_as,
                on_failure=gate.on_failure,
                require_signature=gate.require_signature,
            ),
            policy=self.policy,
            notify=self.notify,
            window=self.window,
            min_age=self.min_age,
        )


class AutoUpdateCreate(AutoUpdateBase):
    """A new setting: the container (by name, in an environment: ``local`` when left out) and
    what is chosen for it."""

    environment_id: Id | None = Field(
        None, description="The container's environment; the `local` one when left out."
    )
    container_name: ContainerName


class AutoUpdateUpdate(RequestModel):
    """Fields to change; those left out (or ``null``) keep their value. Changing
    ``schedule_type`` to daily or weekly without a ``cron_expression`` takes that schedule's
    cron."""

    enabled: bool | None = None
    schedule_type: ScheduleType | None = None
    cron_expression: Cron | None = _cron_field()
    timezone: Timezone | None = Field(None, description=_TIMEZONE)
    vulnerability_criteria: SettingCriteria | None = Field(
        None,
        validation_alias=AliasChoices("vulnerability_criteria", "criteria"),
        description=_CRITERIA,
    )
    gate: GatePatch | None = None
    policy: UpdatePolicy | None = None
    notify: bool | None = None
    window: WindowText | None = Field(None, description=f"{_WINDOW} Empty: inherit again.")
    min_age: MinAgeText | None = Field(None, description=f"{_MIN_AGE} Empty: inherit again.")

    @model_validator(mode="before")
    @classmethod
    def _spellings(cls, data: Any) -> Any:
        return _one_spelling(data)

    def applied_to(self, config: AutoUpdateConfig) -> AutoUpdateConfig:
        """``config`` with these changes; ``Invalid`` naming the field the domain refuses."""
        return AutoUpdateConfig(
            schedule=self._schedule(config.schedule),
            enabled=config.enabled if self.enabled is None else self.enabled,
            criteria=self.vulnerability_criteria or config.criteria,
            gate=config.gate if self.gate is None else self.gate.applied_to(config.gate),
            policy=self.policy or config.policy,
            notify=config.notify if self.notify is None else self.notify,
            window=_kept(self.window, config.window),
            min_age=_kept(self.min_age, config.min_age),
        )

    def _schedule(self, current: Schedule) -> Schedule:
        kind = self.schedule_type or current.type
        cron = self.cron_expression
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
    cron_expression: str
    timezone: str
    vulnerability_criteria: SettingCriteria
    gate: GateModel
    policy: UpdatePolicy
    notify: bool
    window: str | None = None
    min_age: str | None = None
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
            cron_expression=config.schedule.cron,
            timezone=config.schedule.timezone,
            vulnerability_criteria=config.criteria,
            gate=GateModel.from_domain(config.gate),
            policy=config.policy,
            notify=config.notify,
            window=config.window,
            min_age=config.min_age,
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
