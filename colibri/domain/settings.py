"""Auto-update settings: which container is updated when, how carefully, and how far.

A setting belongs to one container (by name, so it survives the container being recreated)
in one environment. What the user chooses is an :class:`AutoUpdateConfig`:

* a :class:`Schedule`: ``daily`` and ``weekly`` are the cron expressions in
  :data:`DEFAULT_CRONS` (shown to the user as they are), ``custom`` is the user's own; each is
  read in an IANA time zone (``UTC`` by default);
* the vulnerability ``criteria`` (:class:`SettingCriteria`): ``inherit`` (the global
  ``COLIBRI_CRITERIA``, the default), ``never`` (never scan this container, whatever the global
  criteria), or a level; and the :class:`GateOptions` around it;
* the :class:`UpdatePolicy`: follow the tag's digest (default) or move to newer version tags;
* whether to ``notify``;
* a maintenance ``window`` (:mod:`colibri.domain.windows`) and a ``min_age`` for candidates
  (:mod:`colibri.domain.image_age`), both optional: a container's labels override them, and
  they override its environment's and the global ones (:mod:`colibri.domain.controls`).

The scheduler's bookkeeping (next and last run, last status, consecutive failures) sits
next to it in :class:`AutoUpdateSetting`. Run times are computed by the scheduler (croniter);
the domain only guarantees that what is stored can be computed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from colibri.domain.criteria import Criteria, Level, OnFailure, UnknownAs
from colibri.domain.cron import check_cron
from colibri.domain.image_age import parse_min_age
from colibri.domain.invalid import Invalid, check_aware, parse_choice
from colibri.domain.journal import RunStatus
from colibri.domain.versions import VersionPolicy
from colibri.domain.windows import parse_windows

__all__ = [
    "DEFAULT_CRONS",
    "DEFAULT_TIMEZONE",
    "FAILED_STATUSES",
    "AutoUpdateConfig",
    "AutoUpdateSetting",
    "GateOptions",
    "NewAutoUpdate",
    "Schedule",
    "ScheduleType",
    "SettingCriteria",
    "UpdatePolicy",
    "check_container_name",
    "check_timezone",
]

DEFAULT_TIMEZONE = "UTC"
_CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")


class ScheduleType(StrEnum):
    """How the user picked the schedule."""

    DAILY = "daily"
    WEEKLY = "weekly"
    CUSTOM = "custom"


#: The cron expressions ``daily`` and ``weekly`` stand for: 03:00, and 03:00 on Mondays.
DEFAULT_CRONS: Mapping[ScheduleType, str] = MappingProxyType(
    {ScheduleType.DAILY: "0 3 * * *", ScheduleType.WEEKLY: "0 3 * * 1"}
)


class SettingCriteria(StrEnum):
    """A setting's vulnerability criteria: ``inherit`` keeps the global policy
    (``COLIBRI_CRITERIA``); ``never`` never scans this container, even when a global criteria
    is set; a level blocks on findings that severe or worse."""

    INHERIT = "inherit"
    NEVER = "never"
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def level(self) -> Level | None:
        """The gate level this setting imposes; ``None`` for ``inherit``."""
        return None if self is SettingCriteria.INHERIT else Level(self.value)


#: Run outcomes that count as a failure of the setting (``blocked`` is a decision, not one).
FAILED_STATUSES = frozenset({RunStatus.FAILED, RunStatus.ROLLED_BACK})


def check_container_name(name: str) -> str:
    """``name`` without the leading ``/`` Docker's inspect shows, if Docker could have given
    it to a container; ``Invalid`` otherwise."""
    name = name.removeprefix("/")
    if not _CONTAINER_NAME.fullmatch(name):
        raise Invalid(
            "container_name",
            f"{name!r} is not a container name (letters, digits, '_', '.', '-'; "
            "starting with a letter or digit)",
        )
    return name


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone this machine knows (``UTC``, ``Europe/Paris``)."""
    if len(name) > 64:
        raise Invalid("timezone", f"{name[:64]!r}... is too long for a time zone name")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            "timezone", f"{name!r} is not an IANA time zone name such as UTC or Europe/Paris"
        ) from None
    return name


class UpdatePolicy(StrEnum):
    """``digest``: follow the tag's digest; the others move to newer version tags
    (:class:`colibri.domain.versions.VersionPolicy`)."""

    DIGEST = "digest"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"
    ALL = "all"

    @property
    def version_policy(self) -> VersionPolicy | None:
        """The tag-discovery policy, ``None`` for ``digest``."""
        return None if self is UpdatePolicy.DIGEST else VersionPolicy(self.value)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a setting runs: a five-field cron read in ``timezone``.

    Build it from user input with :meth:`of`, which fills in the cron of ``daily`` and
    ``weekly``. Built directly, the cron of those two must be the default one.
    """

    type: ScheduleType
    cron: str
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        kind = parse_choice(ScheduleType, self.type, "schedule_type")
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "cron", check_cron(self.cron))
        check_timezone(self.timezone)
        default = DEFAULT_CRONS.get(kind)
        if default is not None and self.cron != default:
            raise Invalid(
                "cron",
                f"a {kind} schedule runs at {default!r}; choose schedule_type custom "
                f"for {self.cron!r}",
            )

    @classmethod
    def of(cls, type: str, cron: str | None = None, timezone: str | None = None) -> Schedule:
        """A schedule from user input: the default cron for ``daily``/``weekly`` when none is
        given, a cron required for ``custom``, ``UTC`` when no time zone is given."""
        kind = parse_choice(ScheduleType, type, "schedule_type")
        if not cron:
            cron = DEFAULT_CRONS.get(kind)
        if cron is None:
            raise Invalid("cron", "a custom schedule needs a cron expression, as in '0 3 * * *'")
        return cls(kind, cron, timezone or DEFAULT_TIMEZONE)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone the cron is read in."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class GateOptions:
    """How the vulnerability gate judges, besides its level (mirrors ``Criteria``'s options),
    and whether a valid signature is required. Stored as the JSON of :meth:`to_dict`."""

    only_fixable: bool = False
    not_worse_than_running: bool = False
    unknown_as: UnknownAs = UnknownAs.CRITICAL
    on_failure: OnFailure = OnFailure.BLOCK
    require_signature: bool = False

    def criteria(self, level: Level) -> Criteria:
        """The gate's ``Criteria`` at ``level`` with these options (other options default)."""
        return Criteria(
            level=level,
            only_fixable=self.only_fixable,
            unknown_as=self.unknown_as,
            not_worse_than_running=self.not_worse_than_running,
            on_failure=self.on_failure,
        )

    def to_dict(self) -> dict[str, Any]:
        """The plain JSON form, every option spelled out."""
        return {
            "only_fixable": self.only_fixable,
            "not_worse_than_running": self.not_worse_than_running,
            "unknown_as": self.unknown_as.value,
            "on_failure": self.on_failure.value,
            "require_signature": self.require_signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateOptions:
        """The inverse of :meth:`to_dict`; missing keys take their defaults, unknown keys and
        wrong types are ``Invalid`` naming ``gate.<key>``."""
        known = {option.name for option in fields(cls)}
        for key in data:
            if key not in known:
                raise Invalid(f"gate.{key}", f"unknown option; expected {', '.join(sorted(known))}")
        for key in ("only_fixable", "not_worse_than_running", "require_signature"):
            if not isinstance(data.get(key, False), bool):
                raise Invalid(f"gate.{key}", f"expected true or false, got {data[key]!r}")
        unknown_as = data.get("unknown_as", UnknownAs.CRITICAL)
        on_failure = data.get("on_failure", OnFailure.BLOCK)
        return cls(
            only_fixable=data.get("only_fixable", False),
            not_worse_than_running=data.get("not_worse_than_running", False),
            unknown_as=parse_choice(UnknownAs, unknown_as, "gate.unknown_as"),
            on_failure=parse_choice(OnFailure, on_failure, "gate.on_failure"),
            require_signature=data.get("require_signature", False),
        )


@dataclass(frozen=True, slots=True)
class AutoUpdateConfig:
    """What the user chooses for one container (defaults: daily, digest, the global criteria,
    notify)."""

    schedule: Schedule = Schedule(ScheduleType.DAILY, DEFAULT_CRONS[ScheduleType.DAILY])
    enabled: bool = True
    criteria: SettingCriteria = SettingCriteria.INHERIT
    gate: GateOptions = GateOptions()
    policy: UpdatePolicy = UpdatePolicy.DIGEST
    notify: bool = True
    window: str | None = None
    min_age: str | None = None

    def __post_init__(self) -> None:
        criteria = parse_choice(SettingCriteria, self.criteria, "vulnerability_criteria")
        object.__setattr__(self, "criteria", criteria)
        object.__setattr__(self, "policy", parse_choice(UpdatePolicy, self.policy, "policy"))
        if self.window is not None:
            object.__setattr__(self, "window", _window_text(self.window))
        if self.min_age is not None:
            text = self.min_age.strip()
            parse_min_age(text)
            object.__setattr__(self, "min_age", text or None)

    def gate_criteria(self, inherited: Level = Level.NEVER) -> Criteria:
        """The ``Criteria`` the gate applies for this setting, ``inherited`` standing for the
        global level."""
        return self.gate.criteria(self.criteria.level or inherited)


def _window_text(text: str) -> str | None:
    """A setting's window as stored: ``off`` (any time), a valid window, or ``None``."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if cleaned.lower() == "off":
        return "off"
    return str(parse_windows(cleaned))


@dataclass(frozen=True, slots=True)
class NewAutoUpdate:
    """A setting to create. ``next_run_at`` (aware) is computed by the caller from the
    schedule; ``None`` leaves it unscheduled (never due). Disabled settings are never due."""

    environment_id: int
    container_name: str
    config: AutoUpdateConfig = field(default_factory=AutoUpdateConfig)
    next_run_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "container_name", check_container_name(self.container_name))
        check_aware(self.next_run_at, "next_run_at")


@dataclass(frozen=True, slots=True)
class AutoUpdateSetting:
    """A stored setting with the scheduler's bookkeeping.

    ``next_run_at`` is ``None`` while disabled or unscheduled; ``last_status`` is the outcome
    of the last run and ``consecutive_failures`` counts :data:`FAILED_STATUSES` in a row.
    """

    id: int
    environment_id: int
    container_name: str
    config: AutoUpdateConfig
    created_at: datetime
    updated_at: datetime
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    last_run_id: str | None = None
    last_status: RunStatus | None = None
    consecutive_failures: int = 0

    def is_due(self, now: datetime) -> bool:
        """Whether the scheduler should claim it at ``now``."""
        return self.config.enabled and self.next_run_at is not None and self.next_run_at <= now
