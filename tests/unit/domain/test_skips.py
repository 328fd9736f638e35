"""Skips and snoozes: which candidate a skip says no to, and for how long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from colibri.domain.invalid import Invalid
from colibri.domain.skips import (
    Candidate,
    NewSkip,
    Skip,
    SkipKind,
    active_skip,
    parse_until,
    skip_reason,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64


def skip(version: str | None, until: datetime | None = None, reason: str = "") -> Skip:
    return Skip(1, "local", "web", version, until, reason, NOW - timedelta(days=1))


def test_digest_skip_matches_that_digest_only() -> None:
    skips = [skip(DIGEST)]
    assert active_skip(skips, Candidate(frozenset({DIGEST})), NOW) == skips[0]
    assert active_skip(skips, Candidate(frozenset({OTHER})), NOW) is None
    assert skips[0].kind is SkipKind.DIGEST


def test_version_skip_matches_the_tag_and_the_same_version_spelled_otherwise() -> None:
    skips = [skip("2025.04.0")]
    assert active_skip(skips, Candidate(frozenset({OTHER}), tag="2025.04.0"), NOW)
    assert active_skip(skips, Candidate(frozenset({OTHER}), tag="2025.4.0"), NOW)


def test_a_newer_version_than_the_skipped_one_is_offered_again() -> None:
    skips = [skip("1.28.0")]
    assert active_skip(skips, Candidate(frozenset({OTHER}), tag="1.28.1"), NOW) is None
    assert active_skip(skips, Candidate(frozenset({OTHER}), tag="1.29.0"), NOW) is None
    assert active_skip(skips, Candidate(frozenset({OTHER}), tag="1.28.0"), NOW) is not None


def test_version_skip_is_per_line_of_tags() -> None:
    skips = [skip("1.28.0-alpine")]
    assert active_skip(skips, Candidate(frozenset(), tag="1.28.0"), NOW) is None
    assert active_skip(skips, Candidate(frozenset(), tag="1.28.0-alpine"), NOW) is not None


def test_version_skip_matches_the_version_label_of_a_digest_update() -> None:
    skips = [skip("3.2.1")]
    assert active_skip(skips, Candidate(frozenset({OTHER}), version_label="3.2.1"), NOW)
    assert active_skip(skips, Candidate(frozenset({OTHER}), version_label="3.2.2"), NOW) is None


def test_snooze_matches_everything_until_it_ends() -> None:
    end = NOW + timedelta(days=7)
    skips = [skip(None, end, "holidays")]
    assert active_skip(skips, Candidate(frozenset({OTHER}), tag="9.0.0"), NOW) == skips[0]
    assert active_skip(skips, Candidate(frozenset({OTHER})), end) is None  # ended
    assert skip_reason(skips[0]) == "updates snoozed until 2026-12-11 12:00 UTC: holidays"


def test_expired_skip_no_longer_counts() -> None:
    skips = [skip(DIGEST, NOW - timedelta(seconds=1))]
    assert active_skip(skips, Candidate(frozenset({DIGEST})), NOW) is None


def test_reasons_say_what_and_until_when() -> None:
    assert skip_reason(skip("1.28.0")) == "version 1.28.0 skipped"
    until = NOW + timedelta(hours=2)
    assert skip_reason(skip(DIGEST, until, "broken")) == (
        f"digest {DIGEST} skipped until 2026-12-04 14:00 UTC: broken"
    )


def test_new_skip_checks_its_fields() -> None:
    assert NewSkip("local", "web", " 1.2.3 ").version == "1.2.3"
    assert NewSkip("local", "web", DIGEST).kind is SkipKind.DIGEST
    with pytest.raises(Invalid, match="needs an end"):
        NewSkip("local", "web")
    with pytest.raises(Invalid, match="neither a digest nor a version"):
        NewSkip("local", "web", "1.2.3; rm -rf /")
    with pytest.raises(Invalid, match="no time zone"):
        NewSkip("local", "web", None, datetime(2027, 1, 1))


def test_until_reads_durations_dates_and_times() -> None:
    assert parse_until("7d", NOW) == NOW + timedelta(days=7)
    assert parse_until("12h", NOW) == NOW + timedelta(hours=12)
    assert parse_until("2026-12-24", NOW) == datetime(2026, 12, 24, tzinfo=UTC)
    assert parse_until("2026-12-24T08:00:00+01:00", NOW) == datetime(2026, 12, 24, 7, tzinfo=UTC)
    with pytest.raises(Invalid, match="already past"):
        parse_until("2026-01-01", NOW)
    with pytest.raises(Invalid, match="neither a duration"):
        parse_until("next week", NOW)
