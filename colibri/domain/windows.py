"""Maintenance windows: when an update may start.

A window is written ``<days> <start>-<end> [<time zone>]``, several joined with ``;``::

    Sat,Sun 02:00-05:00
    Mon-Fri 22:00-06:00 Europe/Paris
    * 03:00-04:00; Sun 00:00-24:00 America/New_York

``days`` are ``Mon`` ... ``Sun`` (any case, three letters or the full name), single or as a
range (``Mon-Fri``, ``Fri-Mon`` wraps), joined with ``,``; ``*`` (or ``daily``) is every day.
Times are local wall-clock times in the window's IANA time zone (``UTC`` when none is given);
``24:00`` ends a window at midnight. An end before the start crosses midnight: the window
opens on the named day and closes on the next one (``Fri 22:00-06:00`` ends Saturday 06:00).

Daylight saving time is read as the wall clock reads it: a start or end in the hour a spring
change skips falls at the same offset as before the change (``02:30`` on that night in
``Europe/Paris`` is 03:30 summer time), and one in the hour an autumn change repeats is its
first occurrence. So a window may be an hour shorter or longer on those two nights, and it
never opens twice.

Decisions take an aware ``now``: :func:`decide` says whether an update expected to take
``expected`` may start now, and if not, when the next opening that leaves it room is.
Overlapping or touching windows count as one (``Sat 00:00-24:00; Sun 00:00-24:00`` is open
for 48 hours without a break).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from colibri.domain.invalid import Invalid, check_aware

__all__ = ["Window", "WindowDecision", "WindowSet", "decide", "parse_windows"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)")
_EVERY_DAY = frozenset(range(7))
#: How far ahead an opening is looked for: any set of days repeats within a week, plus a day
#: for a window crossing midnight and a day for DST changes.
_HORIZON_DAYS = 9
_FIELD = "window"


@dataclass(frozen=True, slots=True)
class Window:
    """One window: on ``days`` (0 = Monday), from ``start`` to ``end`` in ``timezone``.
    ``end`` is ``None`` for ``24:00``; an ``end`` at or before ``start`` ends the next day."""

    days: frozenset[int]
    start: time
    end: time | None
    timezone: str = "UTC"

    @property
    def crosses_midnight(self) -> bool:
        return self.end is not None and self.end <= self.start

    def intervals(self, around: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Its openings (UTC start, UTC end) from the day before ``around`` on, in order."""
        zone = ZoneInfo(self.timezone)
        first = around.astimezone(zone).date() - timedelta(days=1)
        for offset in range(_HORIZON_DAYS):
            day = first + timedelta(days=offset)
            if day.weekday() in self.days:
                yield self._interval(day, zone)

    def _interval(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        opens = _wall(day, self.start, zone)
        if self.end is None:
            closes = _wall(day + timedelta(days=1), time(0), zone)
        elif self.crosses_midnight:
            closes = _wall(day + timedelta(days=1), self.end, zone)
        else:
            closes = _wall(day, self.end, zone)
        return opens, closes

    def __str__(self) -> str:
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{_days_text(self.days)} {self.start.strftime('%H:%M')}-{end} {self.timezone}"


@dataclass(frozen=True, slots=True)
class WindowSet:
    """Windows whose union is when updates may start. ``text`` is what the user wrote."""

    windows: tuple[Window, ...]
    text: str = ""

    def openings(self, now: datetime) -> list[tuple[datetime, datetime]]:
        """Merged openings (UTC) that end after ``now``, in order, over the next week."""
        spans = sorted(span for window in self.windows for span in window.intervals(now))
        merged: list[tuple[datetime, datetime]] = []
        for opens, closes in spans:
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return [(opens, closes) for opens, closes in merged if closes > now]

    def is_open(self, now: datetime) -> bool:
        return self.current(now) is not None

    def current(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The opening ``now`` is in (start inclusive, end exclusive), if any."""
        check_aware(now, "now")
        return next(((o, c) for o, c in self.openings(now) if o <= now < c), None)

    def next_opening(self, now: datetime) -> datetime | None:
        """When the next opening starts (``now`` itself when open); ``None`` never happens for
        a valid set, but is kept for callers that hold an empty one."""
        check_aware(now, "now")
        found = self.openings(now)
        return max(found[0][0], now) if found else None

    def __str__(self) -> str:
        return self.text or "; ".join(str(window) for window in self.windows)


@dataclass(frozen=True, slots=True)
class WindowDecision:
    """Whether an update may start now. When not, ``reason`` says why and ``next_opening``
    when it may (the first opening long enough for ``expected``); ``closes_at`` is the end
    of the opening ``now`` is in, if any."""

    allowed: bool
    reason: str = ""
    next_opening: datetime | None = None
    closes_at: datetime | None = None


def decide(windows: WindowSet | None, now: datetime, expected: timedelta) -> WindowDecision:
    """May an update expected to take ``expected`` start at ``now``? Always, without windows;
    inside one only when it would finish before that opening closes."""
    check_aware(now, "now")
    if windows is None:
        return WindowDecision(True)
    openings = windows.openings(now)
    current = next(((o, c) for o, c in openings if o <= now < c), None)
    if current is not None and now + expected <= current[1]:
        return WindowDecision(True, closes_at=current[1])
    later = next((o for o, c in openings if o > now and c - o >= expected), None)
    shown = _utc_text(later) if later else "no opening in the next week is long enough"
    if current is not None:
        reason = (
            f"would not finish before the window {windows} closes at {_utc_text(current[1])} "
            f"(expected {_duration_text(expected)}); next opening {shown}"
        )
        return WindowDecision(False, reason, later, current[1])
    return WindowDecision(False, f"outside the window {windows}; next opening {shown}", later)


def parse_windows(text: str, field: str = _FIELD) -> WindowSet:
    """Read windows as the module docstring writes them; ``Invalid`` names ``field``."""
    parts = [part.strip() for part in text.split(";")]
    if not any(parts):
        raise Invalid(field, "empty; expected a window such as 'Sat,Sun 02:00-05:00'")
    windows = tuple(_parse_one(part, field) for part in parts if part)
    return WindowSet(windows, text.strip())


def _parse_one(text: str, field: str) -> Window:
    words = text.split()
    if len(words) == 1 and "-" in words[0] and ":" in words[0]:
        words = ["*", *words]
    if len(words) not in (2, 3):
        raise Invalid(
            field,
            f"{text!r}: expected '<days> <HH:MM>-<HH:MM> [time zone]', "
            "as in 'Sat,Sun 02:00-05:00 Europe/Paris'",
        )
    days = _parse_days(words[0], field)
    start, end = _parse_span(words[1], field)
    zone = words[2] if len(words) == 3 else "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            field, f"{zone!r} is not an IANA time zone such as UTC or Europe/Paris"
        ) from None
    return Window(days, start, end, zone)


def _parse_days(text: str, field: str) -> frozenset[int]:
    if text.lower() in {"*", "daily", "every"}:
        return _EVERY_DAY
    days: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        begin = _day(first, field)
        finish = _day(last, field) if dash else begin
        span = (finish - begin) % 7
        days.update((begin + step) % 7 for step in range(span + 1))
    return frozenset(days)


def _day(text: str, field: str) -> int:
    name = text.strip().lower()
    if name in DAY_NAMES:
        return DAY_NAMES.index(name)
    if name in _FULL_NAMES:
        return _FULL_NAMES.index(name)
    raise Invalid(field, f"{text!r} is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun or *")


def _parse_span(text: str, field: str) -> tuple[time, time | None]:
    first, dash, last = text.partition("-")
    if not dash:
        raise Invalid(field, f"{text!r}: expected a time span such as 02:00-05:00")
    start = _time(first, field)
    if start is None:
        raise Invalid(field, f"{text!r}: a window cannot start at 24:00 (use 00:00)")
    end = _time(last, field)
    if end == start:
        raise Invalid(field, f"{text!r}: starts and ends at the same time")
    return start, end


def _time(text: str, field: str) -> time | None:
    match = _TIME_RE.fullmatch(text.strip())
    if match is None:
        raise Invalid(field, f"{text!r} is not a time of day as HH:MM (00:00 to 24:00)")
    hour, minute = int(match[1]), int(match[2])
    if hour == 24:
        if minute:
            raise Invalid(field, f"{text!r} is past 24:00")
        return None
    return time(hour, minute)


def _wall(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the wall clock in ``zone`` shows ``moment`` on ``day`` (first
    occurrence when repeated; the pre-change offset when skipped)."""
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _days_text(days: frozenset[int]) -> str:
    if days == _EVERY_DAY:
        return "*"
    return ",".join(DAY_NAMES[day].capitalize() for day in sorted(days))


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration_text(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds:
        return f"{seconds // 60}m"
    return f"{seconds}s"
