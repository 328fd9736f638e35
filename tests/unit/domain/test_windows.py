"""Maintenance windows: parsing, openings across midnight and DST, and the start decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.invalid import Invalid
from colibri.domain.windows import decide, parse_windows


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_weekend_night_window_is_open_inside_and_closed_outside() -> None:
    windows = parse_windows("Sat,Sun 02:00-05:00")
    saturday = utc(2026, 12, 5, 3, 0)  # 2026-12-05 is a Saturday
    assert windows.is_open(saturday)
    assert windows.is_open(utc(2026, 12, 6, 2, 0))  # start inclusive
    assert not windows.is_open(utc(2026, 12, 6, 5, 0))  # end exclusive
    assert not windows.is_open(utc(2026, 12, 7, 3, 0))  # Monday


def test_next_opening_from_a_weekday_is_saturday() -> None:
    windows = parse_windows("Sat,Sun 02:00-05:00")
    assert windows.next_opening(utc(2026, 12, 2, 12, 0)) == utc(2026, 12, 5, 2, 0)
    assert windows.next_opening(utc(2026, 12, 6, 6, 0)) == utc(2026, 12, 12, 2, 0)
    inside = utc(2026, 12, 5, 4, 0)
    assert windows.next_opening(inside) == inside


def test_window_across_midnight_belongs_to_its_start_day() -> None:
    windows = parse_windows("Fri 22:00-06:00")
    assert windows.is_open(utc(2026, 12, 4, 23, 0))  # Friday night
    assert windows.is_open(utc(2026, 12, 5, 5, 59))  # Saturday morning
    assert not windows.is_open(utc(2026, 12, 5, 6, 0))
    assert not windows.is_open(utc(2026, 12, 4, 3, 0))  # Friday early morning: Thursday's
    assert windows.current(utc(2026, 12, 5, 1, 0)) == (utc(2026, 12, 4, 22), utc(2026, 12, 5, 6))


def test_days_ranges_wrap_and_full_names_and_star() -> None:
    assert parse_windows("Fri-Mon 01:00-02:00").windows[0].days == frozenset({4, 5, 6, 0})
    assert parse_windows("monday,Wednesday 01:00-02:00").windows[0].days == frozenset({0, 2})
    assert len(parse_windows("* 01:00-02:00").windows[0].days) == 7
    assert len(parse_windows("01:00-02:00").windows[0].days) == 7


def test_time_zone_is_the_wall_clock_of_that_zone() -> None:
    windows = parse_windows("Sat 02:00-05:00 Europe/Paris")
    assert windows.is_open(utc(2026, 12, 5, 1, 30))  # 02:30 in Paris (UTC+1 in winter)
    assert not windows.is_open(utc(2026, 12, 5, 4, 30))  # 05:30 in Paris
    assert windows.next_opening(utc(2026, 12, 1)) == utc(2026, 12, 5, 1, 0)


def test_spring_forward_night_starts_at_the_pre_change_offset() -> None:
    # Europe/Paris jumps 02:00 -> 03:00 on 2026-03-29 (a Sunday): 02:00 does not exist.
    windows = parse_windows("Sun 02:00-05:00 Europe/Paris")
    opening = windows.current(utc(2026, 3, 29, 2, 30))
    assert opening == (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 3, 0))  # 03:00-05:00 CEST
    assert opening[1] - opening[0] == timedelta(hours=2)


def test_fall_back_night_is_an_hour_longer_and_opens_once() -> None:
    # Europe/Paris repeats 02:00-03:00 on 2026-10-25 (a Sunday).
    windows = parse_windows("Sun 02:00-05:00 Europe/Paris")
    opening = windows.current(utc(2026, 10, 25, 2, 0))
    assert opening == (utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 4, 0))
    assert opening[1] - opening[0] == timedelta(hours=4)
    after = windows.openings(utc(2026, 10, 25, 4, 30))
    assert after[0][0] == utc(2026, 11, 1, 1, 0)  # next Sunday 02:00 CET


def test_window_crossing_midnight_on_dst_night_in_new_york() -> None:
    # America/New_York springs forward on 2026-03-08 at 02:00.
    windows = parse_windows("Sat 23:00-03:00 America/New_York")
    opening = windows.current(utc(2026, 3, 8, 6, 0))
    assert opening == (utc(2026, 3, 8, 4, 0), utc(2026, 3, 8, 7, 0))  # 23:00 EST - 03:00 EDT


def test_midnight_end_and_touching_windows_merge() -> None:
    windows = parse_windows("Sat 00:00-24:00; Sun 00:00-24:00")
    assert windows.current(utc(2026, 12, 5, 12)) == (utc(2026, 12, 5), utc(2026, 12, 7))
    decision = decide(windows, utc(2026, 12, 6, 23, 0), timedelta(minutes=30))
    assert decision.allowed
    assert decision.closes_at == utc(2026, 12, 7)


def test_decide_without_windows_always_allows() -> None:
    assert decide(None, utc(2026, 1, 1), timedelta(hours=10)).allowed


def test_decide_outside_names_the_next_opening() -> None:
    windows = parse_windows("Sat,Sun 02:00-05:00")
    decision = decide(windows, utc(2026, 12, 2, 12), timedelta(minutes=2))
    assert not decision.allowed
    assert decision.next_opening == utc(2026, 12, 5, 2)
    assert "outside the window Sat,Sun 02:00-05:00" in decision.reason
    assert "2026-12-05 02:00 UTC" in decision.reason


def test_decide_refuses_an_update_that_would_not_finish_before_close() -> None:
    windows = parse_windows("Sat,Sun 02:00-05:00")
    late = utc(2026, 12, 5, 4, 55)
    assert decide(windows, late, timedelta(minutes=5)).allowed  # ends exactly at close
    decision = decide(windows, late, timedelta(minutes=6))
    assert not decision.allowed
    assert decision.closes_at == utc(2026, 12, 5, 5)
    assert decision.next_opening == utc(2026, 12, 6, 2)
    assert "would not finish before the window" in decision.reason
    assert "expected 6m" in decision.reason


def test_decide_skips_openings_too_short_for_the_update() -> None:
    windows = parse_windows("Mon 01:00-01:10; Tue 01:00-03:00")
    decision = decide(windows, utc(2026, 12, 6, 12), timedelta(minutes=30))
    assert decision.next_opening == utc(2026, 12, 8, 1)
    never = decide(windows, utc(2026, 12, 6, 12), timedelta(hours=5))
    assert never.next_opening is None
    assert "no opening in the next week is long enough" in never.reason


def test_naive_now_is_refused() -> None:
    with pytest.raises(Invalid, match="no time zone"):
        decide(parse_windows("* 01:00-02:00"), datetime(2026, 1, 1), timedelta(0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("Sat 02:00", "time span"),
        ("Sat 2-5", "not a time of day"),
        ("Sat 25:00-26:00", "not a time of day"),
        ("Sat 24:00-02:00", "cannot start at 24:00"),
        ("Sat 24:30", "time span"),
        ("Sat 02:00-24:30", "past 24:00"),
        ("Sat 02:00-02:00", "same time"),
        ("Sam 02:00-05:00", "'Sam' is not a day"),
        ("Sat 02:00-05:00 Mars/Olympus", "not an IANA time zone"),
        ("Sat 02:00-05:00 UTC extra", "expected '<days>"),
    ],
)
def test_bad_windows_name_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message) as caught:
        parse_windows(text)
    assert caught.value.field == "window"


def test_text_is_kept_for_display() -> None:
    assert str(parse_windows(" Sat,Sun 02:00-05:00 ")) == "Sat,Sun 02:00-05:00"
    assert str(parse_windows("Sat 02:00-05:00").windows[0]) == "Sat 02:00-05:00 UTC"
