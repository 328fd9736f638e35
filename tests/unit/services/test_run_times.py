"""When schedules run: cron in the setting's time zone, DST, missed slots, backoff."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.invalid import Invalid
from colibri.domain.settings import Schedule
from colibri.services.run_times import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    describe_cron,
    failure_backoff,
    next_run,
    upcoming,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_daily_runs_at_three_utc_by_default() -> None:
    daily = Schedule.of("daily")
    assert next_run(daily, utc(2026, 3, 2, 2, 59)) == utc(2026, 3, 2, 3, 0)
    assert next_run(daily, utc(2026, 3, 2, 3, 0)) == utc(2026, 3, 3, 3, 0)  # strictly after


def test_weekly_runs_on_mondays_at_three() -> None:
    weekly = Schedule.of("weekly")
    runs = upcoming(weekly, utc(2026, 3, 3, 0, 0), 3)  # a Tuesday
    assert runs == [utc(2026, 3, 9, 3), utc(2026, 3, 16, 3), utc(2026, 3, 23, 3)]
    assert all(run.weekday() == 0 for run in runs)


def test_the_cron_is_read_on_the_time_zones_wall_clock() -> None:
    paris = Schedule.of("daily", timezone="Europe/Paris")
    assert next_run(paris, utc(2026, 1, 10, 0, 0)) == utc(2026, 1, 10, 2, 0)  # CET, +01:00
    assert next_run(paris, utc(2026, 7, 10, 0, 0)) == utc(2026, 7, 10, 1, 0)  # CEST, +02:00
    tokyo = Schedule.of("custom", "30 9 * * *", "Asia/Tokyo")
    assert next_run(tokyo, utc(2026, 7, 10, 0, 0)) == utc(2026, 7, 10, 0, 30)


def test_a_skipped_wall_clock_time_runs_once_an_hour_later() -> None:
    # Europe/Paris jumps from 02:00 to 03:00 on 2026-03-29.
    schedule = Schedule.of("custom", "30 2 * * *", "Europe/Paris")
    runs = upcoming(schedule, utc(2026, 3, 28, 12, 0), 3)
    assert runs == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)]


def test_the_slot_inside_a_skipped_hour_is_not_lost_when_asked_just_after_the_jump() -> None:
    schedule = Schedule.of("custom", "30 2 * * *", "Europe/Paris")
    # 01:20 UTC is 03:20 on the wall clock, after 02:30, yet 02:30 "happens" at 01:30 UTC.
    assert next_run(schedule, utc(2026, 3, 29, 1, 20)) == utc(2026, 3, 29, 1, 30)


def test_a_repeated_wall_clock_time_runs_once() -> None:
    # Europe/Paris goes back from 03:00 to 02:00 on 2026-10-25: 02:30 happens twice.
    schedule = Schedule.of("custom", "30 2 * * *", "Europe/Paris")
    runs = upcoming(schedule, utc(2026, 10, 24, 12, 0), 3)
    assert runs == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30), utc(2026, 10, 27, 1, 30)]


def test_frequent_runs_keep_going_through_the_repeated_hour() -> None:
    schedule = Schedule.of("custom", "*/30 * * * *", "Europe/Paris")
    after = utc(2026, 10, 25, 0, 10)  # 02:10 CEST, the first pass
    runs = upcoming(schedule, after, 4)
    assert runs == sorted(runs) and len(set(runs)) == 4
    assert runs[0] == utc(2026, 10, 25, 0, 30)
    assert runs[-1] - runs[0] <= timedelta(hours=2, minutes=30)


def test_runs_are_increasing_and_after_the_start_through_a_whole_year_of_dst() -> None:
    schedule = Schedule.of("custom", "0 * * * *", "America/New_York")
    start = utc(2026, 1, 1)
    runs = upcoming(schedule, start, 24 * 366)
    assert runs[0] > start
    assert all(b > a for a, b in itertools.pairwise(runs))
    assert 24 * 365 - 2 <= len({r for r in runs if r < utc(2027, 1, 1)}) <= 24 * 365


def test_missed_slots_collapse_into_the_next_one_after_now() -> None:
    daily = Schedule.of("daily")
    now = utc(2026, 3, 10, 12, 0)  # last ran a week ago: one run now, next tomorrow
    assert next_run(daily, now) == utc(2026, 3, 11, 3, 0)


def test_a_cron_without_dates_has_no_next_run() -> None:
    assert next_run(Schedule.of("custom", "0 0 30 2 *"), utc(2026, 1, 1)) is None


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        next_run(Schedule.of("daily"), datetime(2026, 1, 1))
    assert caught.value.field == "after"


def test_describe_cron_says_it_in_words_with_the_next_five_runs() -> None:
    words, runs = describe_cron("0 4 * * 1", "UTC", utc(2026, 3, 3))
    assert words == "At 04:00, only on Monday"
    assert runs[0] == utc(2026, 3, 9, 4) and len(runs) == 5
    assert all(run.tzinfo is UTC for run in runs)


@pytest.mark.parametrize("weekdays", ["7-7", "7/1", "7", "0", "sun", "sun-sun"])
def test_sunday_as_seven_runs_on_sundays_only(weekdays: str) -> None:
    words, runs = describe_cron(f"0 4 * * {weekdays}", "UTC", utc(2026, 3, 3))
    assert words == "At 04:00, only on Sunday"
    assert all(run.isoweekday() == 7 for run in runs) and len(runs) == 5


@pytest.mark.parametrize(
    ("weekdays", "days"),
    [("sat-sun", {6, 7}), ("fri-sun", {5, 6, 7}), ("MON-SUN", set(range(1, 8)))],
)
def test_day_name_ranges_ending_on_sunday_run_to_sunday(weekdays: str, days: set[int]) -> None:
    runs = upcoming(Schedule.of("custom", f"0 4 * * {weekdays}"), utc(2026, 3, 3), 14)
    assert {run.isoweekday() for run in runs} == days


def test_a_question_mark_in_a_list_is_refused_before_it_is_stored() -> None:
    with pytest.raises(Invalid) as caught:
        Schedule.of("custom", "* * ?,* * *")
    assert caught.value.field == "cron"


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("0 4 * *", "5"),
        ("61 4 * * *", "minute"),
        ("@daily", "field"),
        ("0 0 31 2 *", "never"),
    ],
)
def test_describe_cron_names_the_field_and_why(expression: str, why: str) -> None:
    with pytest.raises(Invalid) as caught:
        describe_cron(expression, "UTC", utc(2026, 1, 1))
    assert caught.value.field == "cron"
    assert why in caught.value.reason


def test_describe_cron_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(Invalid) as caught:
        describe_cron("0 4 * * *", "Mars/Olympus", utc(2026, 1, 1))
    assert caught.value.field == "timezone"


def test_backoff_doubles_from_five_minutes_up_to_a_day() -> None:
    assert failure_backoff(0) == timedelta(0)
    assert failure_backoff(1) == BACKOFF_FIRST
    assert failure_backoff(2) == 2 * BACKOFF_FIRST
    assert failure_backoff(4) == 8 * BACKOFF_FIRST
    assert failure_backoff(12) == BACKOFF_MAX
    assert failure_backoff(10_000) == BACKOFF_MAX
