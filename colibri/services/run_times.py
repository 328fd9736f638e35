"""When a schedule runs: cron expressions read in a time zone, computed with croniter.

The cron is read on the wall clock of the setting's time zone and every time is returned in
UTC. Daylight saving time, decided here once for the scheduler and the API alike:

* a wall-clock time that does not exist (the hour skipped in spring) runs as if the clock had
  not moved yet: ``02:30`` on the night Europe/Paris jumps from 02:00 to 03:00 runs at 03:30
  local time (01:30 UTC), once;
* a wall-clock time that happens twice (the hour repeated in autumn) runs once, at its first
  occurrence; ``*/15 * * * *`` therefore skips the repeated quarter hours, which is harmless
  for updates and never runs a daily job twice.

``next_run`` is always "the first time strictly after": the scheduler asks it with ``now``
when it claims a run, so slots missed while no scheduler ran collapse into the one run it is
starting. croniter is imported on first use (``colibri check`` never needs it), and is
handed the expression as :func:`colibri.domain.cron.cron_rule` spells it, so that the dates
are the ones the cron rules in that module give (Sunday as ``7``, "or" between the day fields
only when both restrict).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from colibri.domain.cron import check_cron, cron_rule
from colibri.domain.invalid import Invalid, check_aware
from colibri.domain.settings import Schedule, check_timezone

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "describe_cron",
    "failure_backoff",
    "next_run",
    "upcoming",
]

#: A failing setting waits this long after its first failure, twice as long after each
#: further one, at most :data:`BACKOFF_MAX` (never earlier than its next cron slot).
BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=24)
_MAX_SKIPPED = 5000  # candidates at or before ``after`` a DST change can produce, and more


def next_run(schedule: Schedule, after: datetime) -> datetime | None:
    """The first run of ``schedule`` strictly after ``after`` (aware), in UTC; ``None`` when
    the cron never matches a date again (``0 0 30 2 *``)."""
    runs = upcoming(schedule, after, 1)
    return runs[0] if runs else None


def upcoming(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` runs of ``schedule`` strictly after ``after``, in UTC, increasing;
    fewer (maybe none) when the cron runs out of dates."""
    check_aware(after, "after")
    found: list[datetime] = []
    skipped = 0
    for candidate in _wall_clock_runs(schedule.cron, schedule.zone, after):
        if candidate <= (found[-1] if found else after):
            skipped += 1
            if skipped > _MAX_SKIPPED:
                break
            continue
        found.append(candidate)
        if len(found) >= count:
            break
    return found


def describe_cron(expression: str, timezone: str, now: datetime) -> tuple[str, list[datetime]]:
    """A cron expression in words (cron-descriptor, 24-hour clock) and its next five runs
    after ``now``, in UTC. ``Invalid`` naming ``cron`` (or ``timezone``) and why, also when the
    expression never matches a date."""
    from cron_descriptor import ExpressionDescriptor, Options

    cron = check_cron(expression)
    check_timezone(timezone)
    runs = upcoming(Schedule.of("custom", cron, timezone), now, 5)
    if not runs:
        raise Invalid("cron", f"{cron!r} never matches a date (as 31 February would)")
    options = Options()
    options.use_24hour_time_format = True
    described = ExpressionDescriptor(cron_rule(cron).expression, options)
    return str(described.get_description()), runs


def failure_backoff(consecutive_failures: int) -> timedelta:
    """How long a setting waits after its ``consecutive_failures``-th failure in a row."""
    if consecutive_failures < 1:
        return timedelta(0)
    doublings = min(consecutive_failures - 1, 20)
    return min(BACKOFF_FIRST * (1 << doublings), BACKOFF_MAX)


def _wall_clock_runs(cron: str, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """croniter's run times on ``zone``'s wall clock from ``after``, as UTC instants (a time
    in a gap or an overlap as the module docstring says: ``fold=0``)."""
    from croniter import CroniterBadDateError, croniter

    rule = cron_rule(cron)
    times = croniter(rule.expression, _wall_clock_start(zone, after), day_or=rule.day_or)
    while True:
        try:
            wall: datetime = times.get_next(datetime)
        except CroniterBadDateError:
            return
        yield wall.replace(tzinfo=zone).astimezone(UTC)


def _wall_clock_start(zone: ZoneInfo, after: datetime) -> datetime:
    """Where on the wall clock to start looking: ``after``, moved back by the last day's
    change of UTC offset, so that the slots of a skipped hour, which fall after ``after`` in
    UTC but before it on the wall clock, are not missed."""
    local = after.astimezone(zone)
    day_before = (after - timedelta(days=1)).astimezone(zone)
    shift = abs((local.utcoffset() or timedelta(0)) - (day_before.utcoffset() or timedelta(0)))
    return local.replace(tzinfo=None) - shift
