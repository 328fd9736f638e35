"""Lifecycle hooks: commands run inside a container around its update, and what their exit
codes decide.

=============== ============================== ============================================
phase           runs in                        a failure (non-zero exit, or timeout)
=============== ============================== ============================================
``pre-check``   the running container, before  stops this container's update (``failed``,
                its update is looked at        nothing touched)
``pre-update``  the old container, before it   aborts the update: the old container keeps
                stops                          running untouched (``failed``)
``post-update`` the new container, after it    rolls the update back
                started, before verification
                ends
``post-check``  whichever container runs at    is only recorded (warning)
                the end
=============== ============================== ============================================

Exit code 75 (``EX_TEMPFAIL``, watchtower's convention) from ``pre-check`` or ``pre-update``
means "not now": the update is ``skipped``, nothing touched. From ``post-update`` it is a
failure like any other (the new container already runs; only a rollback undoes that).

Labels: ``colibri.hook.<phase>=<command>`` with ``colibri.hook.<phase>.timeout=30s``, and
watchtower's ``com.centurylinklabs.watchtower.lifecycle.<phase>`` with its
``…lifecycle.pre-update-timeout`` / ``…post-update-timeout`` (whole minutes, as watchtower
reads them; ``0`` means watchtower's "no limit", which here is :data:`MAX_TIMEOUT`). Colibri's
label wins when both name a phase. Commands run as ``sh -c <command>``, as watchtower runs
them, so the image needs a shell. The default timeout is :data:`DEFAULT_TIMEOUT`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from colibri.domain.image_age import parse_min_age
from colibri.domain.invalid import Invalid
from colibri.errors import ConfigError

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXIT_SKIP",
    "MAX_TIMEOUT",
    "Hook",
    "HookAction",
    "HookPhase",
    "HookResult",
    "hook_action",
    "hooks_of",
]

EXIT_SKIP = 75
DEFAULT_TIMEOUT = timedelta(minutes=1)
MAX_TIMEOUT = timedelta(hours=1)
_OWN = "colibri.hook."
_WATCHTOWER = "com.centurylinklabs.watchtower.lifecycle."
_OUTPUT_LIMIT = 4000


class HookPhase(StrEnum):
    PRE_CHECK = "pre-check"
    PRE_UPDATE = "pre-update"
    POST_UPDATE = "post-update"
    POST_CHECK = "post-check"


class HookAction(StrEnum):
    """What the update does after a hook ran."""

    CONTINUE = "continue"
    SKIP = "skip"
    ABORT = "abort"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class Hook:
    """A command for one phase, read from ``label``."""

    phase: HookPhase
    command: str
    timeout: timedelta
    label: str

    @property
    def argv(self) -> tuple[str, ...]:
        return ("sh", "-c", self.command)


@dataclass(frozen=True, slots=True)
class HookResult:
    """How a hook's exec ended: its exit code (``None`` when it did not end in time) and its
    combined output (the last :data:`_OUTPUT_LIMIT` characters)."""

    exit_code: int | None
    output: str = ""
    timed_out: bool = False

    def tail(self) -> str:
        return self.output[-_OUTPUT_LIMIT:]


def hooks_of(labels: Mapping[str, str]) -> dict[HookPhase, Hook]:
    """The hooks a container's labels declare, per phase. ``ConfigError`` names a label that
    cannot be read (an empty command, an unreadable timeout)."""
    found: dict[HookPhase, Hook] = {}
    for phase in HookPhase:
        hook = _own(labels, phase) or _watchtower(labels, phase)
        if hook is not None:
            found[phase] = hook
    return found


def _own(labels: Mapping[str, str], phase: HookPhase) -> Hook | None:
    label = f"{_OWN}{phase.value}"
    if label not in labels:
        return None
    timeout_label = f"{label}.timeout"
    timeout = DEFAULT_TIMEOUT
    if timeout_label in labels:
        try:
            parsed = parse_min_age(labels[timeout_label], timeout_label)
        except Invalid as exc:
            raise ConfigError(f"label {timeout_label}: {exc.reason}") from None
        timeout = min(parsed or MAX_TIMEOUT, MAX_TIMEOUT)
    return Hook(phase, _command(labels, label), timeout, label)


def _watchtower(labels: Mapping[str, str], phase: HookPhase) -> Hook | None:
    label = f"{_WATCHTOWER}{phase.value}"
    if label not in labels:
        return None
    timeout_label = f"{_WATCHTOWER}{phase.value}-timeout"
    timeout = DEFAULT_TIMEOUT
    if timeout_label in labels:
        text = labels[timeout_label].strip()
        if not text.isdigit():
            raise ConfigError(f"label {timeout_label}={text!r}: expected whole minutes")
        minutes = int(text)
        timeout = min(timedelta(minutes=minutes), MAX_TIMEOUT) if minutes else MAX_TIMEOUT
    return Hook(phase, _command(labels, label), timeout, label)


def _command(labels: Mapping[str, str], label: str) -> str:
    command = labels[label].strip()
    if not command:
        raise ConfigError(f"label {label}: the command is empty")
    return command


def hook_action(phase: HookPhase, result: HookResult) -> tuple[HookAction, str]:
    """What ``result`` of a hook of ``phase`` decides, and the reason to record."""
    if result.exit_code == 0 and not result.timed_out:
        return HookAction.CONTINUE, ""
    if result.timed_out:
        what = "did not finish in time"
    elif result.exit_code is None:
        what = "could not be run"
    else:
        what = f"exited with {result.exit_code}"
    before = phase in (HookPhase.PRE_CHECK, HookPhase.PRE_UPDATE)
    if before and result.exit_code == EXIT_SKIP and not result.timed_out:
        return HookAction.SKIP, f"{phase.value} hook exited with 75: skip this update"
    reason = f"{phase.value} hook {what}"
    if before:
        return HookAction.ABORT, reason
    if phase is HookPhase.POST_UPDATE:
        return HookAction.ROLLBACK, reason
    return HookAction.CONTINUE, reason
