"""Which maintenance window and minimum age apply to a container.

Each can be given at four levels; the most specific one that is set wins:

1. the container's label (``colibri.window``, ``colibri.min-age``);
2. its auto-update setting (``window``, ``min_age``);
3. its environment (``window``);
4. the global default (``COLIBRI_WINDOW``, ``COLIBRI_MIN_AGE``).

``off`` at a level means "none" there and stops the lookup (a label ``colibri.window=off``
lets a container update at any time even under a global window).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from colibri.domain.changes import Changes
from colibri.domain.health import VerifyPolicy
from colibri.domain.image_age import parse_min_age
from colibri.domain.invalid import Invalid
from colibri.domain.windows import WindowSet, decide, parse_windows
from colibri.errors import ConfigError

__all__ = [
    "MIN_AGE_LABEL",
    "WINDOW_LABEL",
    "ControlNotes",
    "effective_min_age",
    "effective_window",
    "expected_length",
    "next_chance",
    "not_yet_reason",
    "update_hold",
]

WINDOW_LABEL = "colibri.window"
MIN_AGE_LABEL = "colibri.min-age"
_OFF = frozenset({"off", "none", "always"})


@dataclass(frozen=True, slots=True)
class ControlNotes:
    """What the controls say about one container's candidate, as ``check`` shows it:

    ``changes`` (versions, age, links, update kind); ``eligible_at`` when the candidate is
    not old enough yet; ``skipped_until`` when a skip holds it back (``skip_id``; no end for
    a version skipped for good); ``window`` the maintenance window in force, whether it is
    open at the check and when it opens next."""

    changes: Changes | None = None
    eligible_at: datetime | None = None
    skip_id: int | None = None
    skipped_until: datetime | None = None
    window: str | None = None
    window_open: bool | None = None
    next_opening: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        changes = self.changes.as_dict() if self.changes else None
        return {
            "update_kind": changes["kind"] if changes else None,
            "changes": changes,
            "eligible_at": _iso(self.eligible_at),
            "skip_id": self.skip_id,
            "skipped_until": _iso(self.skipped_until),
            "window": self.window,
            "window_open": self.window_open,
            "next_window_opening": _iso(self.next_opening),
        }


def not_yet_reason(notes: ControlNotes | None, now: datetime) -> str | None:
    """Why a candidate the check offered must not be installed at ``now`` (too young), or
    ``None``. Windows are decided by the update itself, knowing how long it takes."""
    if notes is None or notes.eligible_at is None or now >= notes.eligible_at:
        return None
    return f"not old enough: eligible at {notes.eligible_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def update_hold(notes: ControlNotes | None, now: datetime, expected: timedelta) -> str | None:
    """Why an offered update must not start at ``now``, or ``None``: the candidate is too
    young, or the window in force is closed, or would close before an update expected to take
    ``expected`` has finished (:func:`colibri.domain.windows.decide`)."""
    young = not_yet_reason(notes, now)
    if young is not None or notes is None or notes.window is None:
        return young
    decision = decide(parse_windows(notes.window), now, expected)
    return None if decision.allowed else decision.reason


def next_chance(notes: ControlNotes | None, now: datetime, expected: timedelta) -> datetime | None:
    """When a held update may start: when its candidate is old enough, else the next opening
    of its window long enough for it; ``None`` when it is not held (or no opening is known)."""
    if notes is None:
        return None
    if notes.eligible_at is not None and now < notes.eligible_at:
        return notes.eligible_at
    if notes.window is None:
        return None
    decision = decide(parse_windows(notes.window), now, expected)
    return None if decision.allowed else decision.next_opening


def expected_length(policy: VerifyPolicy, labels: Mapping[str, str]) -> timedelta:
    """How long an update of a container with ``labels`` is expected to take, for windows:
    its verification timeout (the longest verification waits), as its labels set it."""
    verify = policy.with_labels(labels)
    return timedelta(seconds=max(verify.health_timeout, verify.stability_window))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def effective_window(
    labels: Mapping[str, str], *levels: tuple[str, str | None]
) -> WindowSet | None:
    """The window from the label, else the first of ``levels`` (``(name, text)`` pairs, most
    specific first) that is set. ``ConfigError`` names the label or level that is unreadable."""
    for name, text in ((f"label {WINDOW_LABEL}", labels.get(WINDOW_LABEL)), *levels):
        if text is None or not text.strip():
            continue
        if text.strip().lower() in _OFF:
            return None
        try:
            return parse_windows(text)
        except Invalid as exc:
            raise ConfigError(f"{name}: {exc.reason}") from None
    return None


def effective_min_age(
    labels: Mapping[str, str], *levels: tuple[str, str | None]
) -> timedelta | None:
    """The minimum age from the label, else from the first of ``levels`` that is set."""
    for name, text in ((f"label {MIN_AGE_LABEL}", labels.get(MIN_AGE_LABEL)), *levels):
        if text is None or not text.strip():
            continue
        try:
            return parse_min_age(text)
        except Invalid as exc:
            raise ConfigError(f"{name}: {exc.reason}") from None
    return None
