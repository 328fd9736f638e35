"""The validator and the scheduler are one rule: every cron ``check_cron`` accepts is computed
by the scheduler, to the dates :func:`colibri.domain.cron.field_values` reads from it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colibri.domain.cron import check_cron, cron_rule, field_values
from colibri.domain.settings import Schedule
from colibri.services.run_times import upcoming

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _value(low: int, high: int, names: tuple[str, ...]) -> st.SearchStrategy[str]:
    numbers = st.integers(low, high).map(str)
    if not names:
        return numbers
    return numbers | st.sampled_from(names) | st.sampled_from(names).map(str.upper)


@st.composite
def _item(draw: st.DrawFn, low: int, high: int, names: tuple[str, ...]) -> str:
    value = _value(low, high, names)
    kind = draw(st.sampled_from(["star", "one", "range"]))
    if kind == "star":
        text = "*"
    elif kind == "one":
        text = draw(value)
    else:
        text = f"{draw(value)}-{draw(value)}"
    if draw(st.booleans()):
        text += f"/{draw(st.integers(1, high))}"
    return text


@st.composite
def _field(
    draw: st.DrawFn, low: int, high: int, names: tuple[str, ...] = (), day: bool = False
) -> str:
    if day and draw(st.integers(0, 9)) == 0:
        return "?"
    items = draw(st.lists(_item(low, high, names), min_size=1, max_size=3))
    return ",".join(items)


@st.composite
def crons(draw: st.DrawFn) -> str:
    """Five fields drawn from the grammar, many of them valid, some not (backwards ranges)."""
    return " ".join(
        [
            draw(_field(0, 59)),
            draw(_field(0, 23)),
            draw(_field(1, 31, day=True)),
            draw(_field(1, 12, _MONTHS)),
            draw(_field(0, 7, _WEEKDAYS, day=True)),
        ]
    )


def _accepted(expression: str) -> bool:
    try:
        check_cron(expression)
    except ValueError:
        return False
    return True


def _expected(expression: str, after: datetime, count: int) -> list[datetime]:
    """The runs the cron rules give, found by walking the calendar day by day."""
    minutes, hours, days, months, weekdays = field_values(expression)
    day_or = cron_rule(expression).day_or
    found: list[datetime] = []
    for day in _days(after.date(), years=30):
        if day.month not in months:
            continue
        by_day, by_weekday = day.day in days, (day.isoweekday() % 7) in weekdays
        if not (by_day or by_weekday if day_or else by_day and by_weekday):
            continue
        for hour in sorted(hours):
            for minute in sorted(minutes):
                moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                if moment > after:
                    found.append(moment)
                    if len(found) == count:
                        return found
    return found


def _days(start: date, years: int) -> Iterator[date]:
    for offset in range(years * 366):
        yield start + timedelta(days=offset)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crons(), st.datetimes(datetime(2020, 1, 1), datetime(2040, 1, 1)))
def test_every_accepted_cron_is_scheduled_to_the_dates_its_fields_say(
    expression: str, start: datetime
) -> None:
    if not _accepted(expression):
        return
    after = start.replace(second=0, microsecond=0, tzinfo=UTC)
    runs = upcoming(Schedule.of("custom", expression, "UTC"), after, 3)
    assert runs == _expected(expression, after, 3)
