"""Minimum image age: created time versus first seen, and the boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.image_age import AgeBasis, decide_age, parse_created, parse_min_age
from colibri.domain.invalid import Invalid

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
THREE_DAYS = timedelta(days=3)


def test_created_time_counts_when_meaningful() -> None:
    decision = decide_age(THREE_DAYS, NOW, created=NOW - timedelta(days=2), first_seen=NOW)
    assert not decision.eligible
    assert decision.basis is AgeBasis.CREATED
    assert decision.eligible_at == NOW + timedelta(days=1)
    assert decision.reason == (
        "eligible at 2026-12-05 12:00 UTC (minimum age; 2d old since its build)"
    )


def test_exactly_old_enough_is_eligible() -> None:
    decision = decide_age(THREE_DAYS, NOW, created=NOW - THREE_DAYS, first_seen=NOW)
    assert decision.eligible
    assert decision.reason == ""
    one_second_short = NOW - THREE_DAYS + timedelta(seconds=1)
    assert not decide_age(THREE_DAYS, NOW, created=one_second_short, first_seen=NOW).eligible


@pytest.mark.parametrize(
    "created",
    [
        datetime(1970, 1, 1, tzinfo=UTC),  # reproducible builds
        datetime(1980, 1, 1, 0, 0, 1, tzinfo=UTC),  # SOURCE_DATE_EPOCH of some builders
        None,
        NOW + timedelta(days=30),  # a builder's clock in the future
    ],
)
def test_meaningless_created_falls_back_to_first_seen(created: datetime | None) -> None:
    seen = NOW - timedelta(hours=12)
    decision = decide_age(THREE_DAYS, NOW, created=created, first_seen=seen)
    assert decision.basis is AgeBasis.FIRST_SEEN
    assert decision.eligible_at == seen + THREE_DAYS
    assert decision.age == timedelta(hours=12)
    assert "since first seen" in decision.reason


def test_no_minimum_is_always_eligible_and_still_has_an_age() -> None:
    decision = decide_age(None, NOW, created=NOW - timedelta(hours=5), first_seen=NOW)
    assert decision.eligible
    assert decision.age == timedelta(hours=5)


def test_naive_times_are_refused() -> None:
    with pytest.raises(Invalid, match="no time zone"):
        decide_age(THREE_DAYS, datetime(2026, 1, 1), created=None, first_seen=NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T10:20:30Z", datetime(2026, 12, 1, 10, 20, 30, tzinfo=UTC)),
        ("2026-12-01T10:20:30.123456789Z", datetime(2026, 12, 1, 10, 20, 30, 123456, tzinfo=UTC)),
        ("2026-12-01T11:20:30+01:00", datetime(2026, 12, 1, 10, 20, 30, tzinfo=UTC)),
        ("2026-12-01T11:20:30+0100", datetime(2026, 12, 1, 10, 20, 30, tzinfo=UTC)),
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (12, None),
    ],
)
def test_created_is_read_as_rfc3339(text: object, expected: datetime | None) -> None:
    assert parse_created(text) == expected


def test_min_age_durations() -> None:
    assert parse_min_age("3d") == THREE_DAYS
    assert parse_min_age("12h") == timedelta(hours=12)
    assert parse_min_age("90") == timedelta(seconds=90)
    assert parse_min_age("off") is None
    assert parse_min_age("0") is None
    with pytest.raises(Invalid, match="not a duration") as caught:
        parse_min_age("three days", "colibri.min-age")
    assert caught.value.field == "colibri.min-age"
