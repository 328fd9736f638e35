"""What ``colibri serve`` does with each opted-in container, from its labels and settings.

Every container that opted in (:func:`colibri.domain.policy.opt_in`) is updated on a schedule
without any API call. Its :class:`ContainerPlan` says when, where that comes from, and how:

* **when** (``source``): an auto-update setting made in the API (``setting``) decides for its
  container, labels or not; otherwise the label ``colibri.schedule`` (``label``): ``daily``
  and ``weekly`` (the settings' ``0 3 * * *`` and ``0 3 * * 1``) or a five-field cron;
  otherwise ``COLIBRI_SCHEDULE`` (``default``, ``0 3 * * *``). Label crons are read in
  ``COLIBRI_TIMEZONE`` (default the host's);
* **how** (``mode``): ``update``, or ``notify`` (monitor only: checked, and "update available"
  told, never updated) with ``colibri.mode=notify`` or watchtower's
  ``com.centurylinklabs.watchtower.monitor-only=true``;
* **cleanup**: the old image is removed after a committed update unless
  ``colibri.cleanup=false`` (or the service runs with ``COLIBRI_CLEANUP=false``).

A label Colibri cannot read is an ``Invalid`` naming it: that container gets no plan (and its
check reports the label), it is never updated on a guess.

**Scope** (:func:`in_scope`): a service started with ``COLIBRI_SCOPE=x`` plans only the
containers labelled ``colibri.scope=x``, and a service without a scope only those without the
label, so several services can share one daemon without touching each other's containers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from colibri.domain.cron import check_cron
from colibri.domain.invalid import Invalid
from colibri.domain.journal import RunStatus
from colibri.domain.policy import parse_bool
from colibri.domain.settings import DEFAULT_CRONS, AutoUpdateSetting

__all__ = [
    "CLEANUP_LABEL",
    "MODE_LABEL",
    "MONITOR_ONLY_LABEL",
    "SCHEDULE_LABEL",
    "SCOPE_LABEL",
    "ContainerPlan",
    "Effective",
    "LabelSlot",
    "Mode",
    "ScheduleSource",
    "effective",
    "in_scope",
    "plan_for",
]

SCHEDULE_LABEL = "colibri.schedule"
SCOPE_LABEL = "colibri.scope"
MODE_LABEL = "colibri.mode"
CLEANUP_LABEL = "colibri.cleanup"
MONITOR_ONLY_LABEL = "com.centurylinklabs.watchtower.monitor-only"


class ScheduleSource(StrEnum):
    """Where a container's schedule comes from."""

    SETTING = "setting"
    LABEL = "label"
    DEFAULT = "default"


class Mode(StrEnum):
    """``update`` the container, or only ``notify`` that an update is available."""

    UPDATE = "update"
    NOTIFY = "notify"


@dataclass(frozen=True, slots=True)
class ContainerPlan:
    """When (``cron`` in ``timezone``; a setting's own for ``source`` ``setting``), how, and
    whether the old image is removed afterwards."""

    cron: str
    timezone: str
    source: ScheduleSource
    mode: Mode = Mode.UPDATE
    cleanup: bool = True


def in_scope(labels: Mapping[str, str], scope: str) -> bool:
    """Whether a service of ``scope`` (``""``: none) plans a container with ``labels``."""
    return labels.get(SCOPE_LABEL, "").strip() == scope


def plan_for(
    labels: Mapping[str, str],
    *,
    setting_cron: tuple[str, str] | None,
    default_cron: str,
    timezone: str,
    cleanup: bool = True,
) -> ContainerPlan:
    """The plan of one opted-in container. ``setting_cron`` is its setting's (cron, time zone)
    when it has one; ``Invalid`` names a label that cannot be read."""
    mode = _mode(labels)
    keep = _cleanup(labels, cleanup)
    if setting_cron is not None:
        cron, zone = setting_cron
        return ContainerPlan(cron, zone, ScheduleSource.SETTING, mode, keep)
    value = labels.get(SCHEDULE_LABEL, "").strip()
    if not value:
        return ContainerPlan(default_cron, timezone, ScheduleSource.DEFAULT, mode, keep)
    return ContainerPlan(_cron(value), timezone, ScheduleSource.LABEL, mode, keep)


_NAMED = {kind.value: cron for kind, cron in DEFAULT_CRONS.items()}


def _cron(value: str) -> str:
    named = _NAMED.get(value.lower())
    if named is not None:
        return named
    try:
        return check_cron(value, field=SCHEDULE_LABEL)
    except Invalid as exc:
        raise Invalid(SCHEDULE_LABEL, f"{exc.reason} (daily, weekly or five cron fields)") from None


def _mode(labels: Mapping[str, str]) -> Mode:
    given = labels.get(MODE_LABEL)
    if given is not None:
        text = given.strip().lower()
        if text not in {Mode.UPDATE, Mode.NOTIFY}:
            raise Invalid(MODE_LABEL, f"{given!r} is not update or notify")
        return Mode(text)
    monitor = labels.get(MONITOR_ONLY_LABEL)
    if monitor is None:
        return Mode.UPDATE
    flag = parse_bool(monitor)
    if flag is None:
        raise Invalid(MONITOR_ONLY_LABEL, f"{monitor!r} is not true or false")
    return Mode.NOTIFY if flag else Mode.UPDATE


def _cleanup(labels: Mapping[str, str], default: bool) -> bool:
    given = labels.get(CLEANUP_LABEL)
    if given is None:
        return default
    flag = parse_bool(given)
    if flag is None:
        raise Invalid(CLEANUP_LABEL, f"{given!r} is not true or false")
    return flag and default


@dataclass(frozen=True, slots=True)
class LabelSlot:
    """A container's plan as the service keeps it, with its next slot (``None`` when its
    setting schedules it) and how its last label-driven run went."""

    environment_id: int
    container_name: str
    plan: ContainerPlan
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    last_run_id: str | None = None
    last_status: RunStatus | None = None


@dataclass(frozen=True, slots=True)
class Effective:
    """A container's effective schedule as ``GET /api/containers`` shows it."""

    cron: str
    timezone: str
    source: ScheduleSource
    mode: Mode
    cleanup: bool
    next_run_at: datetime | None
    last_status: RunStatus | None
    last_run_id: str | None


def effective(slot: LabelSlot | None, setting: AutoUpdateSetting | None) -> Effective | None:
    """What decides for a container: its setting when it has one (its schedule, next run and
    last result; mode and cleanup from its labels when known), else its labels' plan; ``None``
    for a container the service does not plan (not opted in)."""
    plan = None if slot is None else slot.plan
    mode = Mode.UPDATE if plan is None else plan.mode
    cleanup = True if plan is None else plan.cleanup
    if setting is not None:
        schedule = setting.config.schedule
        return Effective(
            cron=schedule.cron,
            timezone=schedule.timezone,
            source=ScheduleSource.SETTING,
            mode=mode,
            cleanup=cleanup,
            next_run_at=setting.next_run_at,
            last_status=setting.last_status,
            last_run_id=setting.last_run_id,
        )
    if slot is None or plan is None:
        return None
    return Effective(
        cron=plan.cron,
        timezone=plan.timezone,
        source=plan.source,
        mode=mode,
        cleanup=cleanup,
        next_run_at=slot.next_run_at,
        last_status=slot.last_status,
        last_run_id=slot.last_run_id,
    )
