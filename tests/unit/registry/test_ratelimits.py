"""Retry-After, RateLimit headers and backoff (registry-spec L2, L3)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from colibri.registry.ratelimits import (
    PAST_RETRY_AFTER_FALLBACK,
    RateLimitStatus,
    RetryPolicy,
    backoff_delay,
    parse_rate_limit,
    parse_retry_after,
)

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Wed, 01 Jan 2025 12:01:00 GMT", 60.0),
        ("Wed, 01 Jan 2025 11:00:00 GMT", PAST_RETRY_AFTER_FALLBACK),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_backoff_doubles_from_two_seconds_up_to_sixty() -> None:
    delays = [backoff_delay(attempt, initial=2, cap=60) for attempt in range(1, 8)]
    assert delays == [2, 4, 8, 16, 32, 60, 60]


def test_hub_rate_limit_headers() -> None:
    headers = httpx.Headers(
        {
            "RateLimit-Limit": "100;w=21600",
            "RateLimit-Remaining": "76;w=21600",
            "docker-ratelimit-source": "203.0.113.7",
        }
    )
    assert parse_rate_limit(headers) == RateLimitStatus(100, 76, 21600, "203.0.113.7")


def test_draft_rate_limit_form_and_missing_window() -> None:
    headers = httpx.Headers({"ratelimit-limit": "100, 100;w=60", "ratelimit-remaining": "0"})
    assert parse_rate_limit(headers) == RateLimitStatus(100, 0, 60, None)


def test_no_rate_limit_headers_means_unlimited() -> None:
    assert parse_rate_limit(httpx.Headers({"content-type": "x"})) is None


def test_garbage_counts_are_unknown() -> None:
    status = parse_rate_limit(httpx.Headers({"ratelimit-remaining": "lots"}))
    assert status is None


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(rate_limit_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(wait_budget=-1)
