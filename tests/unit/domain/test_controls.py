"""Which window and minimum age apply: label, setting, environment, global."""

from __future__ import annotations

from datetime import timedelta

import pytest

from colibri.domain.controls import effective_min_age, effective_window
from colibri.errors import ConfigError


def test_label_wins_then_levels_in_order() -> None:
    levels = (("setting window", None), ("environment window", "Sun 01:00-02:00"))
    chosen = effective_window({"colibri.window": "Sat 02:00-05:00"}, *levels)
    assert chosen is not None and str(chosen) == "Sat 02:00-05:00"
    fallback = effective_window({}, *levels)
    assert fallback is not None and str(fallback) == "Sun 01:00-02:00"
    assert effective_window({}) is None


def test_off_stops_the_lookup() -> None:
    assert (
        effective_window({"colibri.window": "off"}, ("COLIBRI_WINDOW", "Sat 02:00-05:00")) is None
    )
    assert effective_min_age({"colibri.min-age": "0"}, ("COLIBRI_MIN_AGE", "3d")) is None


def test_min_age_levels() -> None:
    assert effective_min_age({}, ("setting min_age", ""), ("COLIBRI_MIN_AGE", "3d")) == timedelta(
        days=3
    )
    assert effective_min_age({"colibri.min-age": "12h"}, ("COLIBRI_MIN_AGE", "3d")) == timedelta(
        hours=12
    )


def test_errors_name_the_level() -> None:
    with pytest.raises(ConfigError, match=r"label colibri\.window: 'Sam' is not a day"):
        effective_window({"colibri.window": "Sam 02:00-05:00"})
    with pytest.raises(ConfigError, match=r"COLIBRI_MIN_AGE: 'soon' is not a duration"):
        effective_min_age({}, ("COLIBRI_MIN_AGE", "soon"))


def test_update_hold_says_why_an_update_must_wait() -> None:
    from datetime import UTC, datetime

    from colibri.domain.controls import ControlNotes, update_hold

    saturday_night = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    windowed = ControlNotes(window="Sat,Sun 02:00-05:00")
    assert update_hold(None, saturday_night, timedelta(minutes=5)) is None
    assert update_hold(windowed, saturday_night, timedelta(minutes=5)) is None
    late = update_hold(windowed, saturday_night, timedelta(hours=3))
    assert late is not None and "would not finish before the window" in late
    closed = update_hold(windowed, datetime(2026, 12, 7, 3, tzinfo=UTC), timedelta(minutes=5))
    assert closed is not None and closed.startswith("outside the window Sat,Sun 02:00-05:00")
    young = ControlNotes(eligible_at=datetime(2026, 12, 6, tzinfo=UTC), window="* 00:00-24:00")
    hold = update_hold(young, saturday_night, timedelta(minutes=5))
    assert hold == "not old enough: eligible at 2026-12-06 00:00 UTC"


def test_next_chance_is_when_a_held_update_may_start() -> None:
    from datetime import UTC, datetime

    from colibri.domain.controls import ControlNotes, next_chance

    wednesday = datetime(2026, 12, 2, 12, tzinfo=UTC)
    minutes = timedelta(minutes=5)
    assert next_chance(None, wednesday, minutes) is None
    windowed = ControlNotes(window="Sat,Sun 02:00-05:00")
    assert next_chance(windowed, wednesday, minutes) == datetime(2026, 12, 5, 2, tzinfo=UTC)
    young = ControlNotes(eligible_at=datetime(2026, 12, 3, tzinfo=UTC), window="Sat 02:00-05:00")
    assert next_chance(young, wednesday, minutes) == datetime(2026, 12, 3, tzinfo=UTC)
    assert next_chance(ControlNotes(window="* 00:00-24:00"), wednesday, minutes) is None
