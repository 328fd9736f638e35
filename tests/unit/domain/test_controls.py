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
