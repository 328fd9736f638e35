"""Rate limits, backoff and deferral (registry-spec §6, §11 cases 29, 30). Every wait goes
through the fake clock, so nothing here sleeps for real."""

from __future__ import annotations

import httpx
import pytest

from colibri.domain.refs import parse_reference
from colibri.errors import RateLimited
from colibri.registry import RateLimitStatus, RetryPolicy
from tests.unit.registry.fakes import (
    HOST,
    FakeClock,
    MockRegistry,
    index_body,
    make_client,
    manifest_body,
    manifest_response,
)

REF = parse_reference(f"{HOST}/team/app:1.0")
OTHER_REGISTRY = parse_reference("other.example/team/app:1.0")
BODY = manifest_body()
OK = manifest_response(BODY, head=True)


def throttled(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {
        "errors": [{"code": "TOOMANYREQUESTS", "message": "You have reached your pull rate limit"}]
    }
    return httpx.Response(429, headers=headers, json=body)


def test_long_retry_after_defers_the_registry_at_once() -> None:
    clock = FakeClock()
    mock = MockRegistry().on("HEAD", HOST, throttled("120")).on("HEAD", "other.example", OK)
    client = make_client(mock, clock)
    with pytest.raises(RateLimited, match="rate-limiting requests") as caught:
        client.head(REF)
    assert caught.value.retry_after == 120 and caught.value.kind == "rate_limited"
    assert caught.value.transient and clock.sleeps == []
    with pytest.raises(RateLimited, match="deferred") as again:
        client.head(REF.with_tag("2.0"))
    assert again.value.retry_after == 120
    assert mock.count("HEAD", HOST) == 1  # no request while deferred
    assert client.head(OTHER_REGISTRY).digest  # other registries go on
    stats = client.stats()[HOST]
    assert stats.deferred_for == 120 and stats.throttled == 1
    clock.advance(121)
    mock.on("HEAD", HOST, OK)
    assert client.head(REF.with_tag("3.0")).digest
    assert client.stats()[HOST].deferred_for is None


def test_short_retry_after_is_waited_for() -> None:
    clock = FakeClock()
    mock = MockRegistry().on("HEAD", "/manifests/", throttled("3"), OK)
    client = make_client(mock, clock)
    assert client.head(REF).digest
    assert clock.sleeps == [3.0]
    stats = client.stats()[HOST]
    assert (stats.throttled, stats.retries, stats.requests["HEAD"]) == (1, 1, 2)


def test_retry_after_date_in_the_past_waits_two_seconds() -> None:
    clock = FakeClock()
    mock = MockRegistry().on("HEAD", "/manifests/", throttled("Tue, 31 Dec 2024 00:00:00 GMT"), OK)
    make_client(mock, clock).head(REF)
    assert clock.sleeps == [2.0]


def test_retry_after_date_in_the_future() -> None:
    clock = FakeClock()
    mock = MockRegistry().on("HEAD", "/manifests/", throttled("Wed, 01 Jan 2025 12:00:05 GMT"), OK)
    make_client(mock, clock).head(REF)
    assert clock.sleeps == [5.0]


def test_backoff_without_retry_after_stops_at_the_wait_budget() -> None:
    clock = FakeClock()
    mock = MockRegistry().on("HEAD", "/manifests/", throttled())
    with pytest.raises(RateLimited) as caught:
        make_client(mock, clock).head(REF)
    assert clock.sleeps == [2.0, 4.0]  # 8 more would pass the 10 s budget
    assert caught.value.retry_after == 8.0 and mock.count("HEAD") == 3


def test_backoff_doubles_for_at_most_five_attempts() -> None:
    clock = FakeClock()
    mock = MockRegistry().on("HEAD", "/manifests/", throttled())
    client = make_client(mock, clock, retry=RetryPolicy(wait_budget=1000))
    with pytest.raises(RateLimited):
        client.head(REF)
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0]
    assert mock.count("HEAD") == 5
    assert client.stats()[HOST].deferred_for == 32.0


def test_quota_at_the_reserve_allows_heads_and_refuses_gets() -> None:
    limited = manifest_response(
        BODY,
        head=True,
        headers={"RateLimit-Limit": "100;w=21600", "ratelimit-remaining": "0;w=21600"},
    )
    mock = MockRegistry().on("HEAD", "/manifests/", limited)
    client = make_client(mock)
    assert client.head(REF).digest  # decidable by HEAD alone
    assert client.stats()[HOST].rate_limit == RateLimitStatus(100, 0, 21600, None)
    with pytest.raises(RateLimited, match="pulls left") as caught:
        client.fetch(REF)
    assert caught.value.retry_after == 21600
    assert mock.count("GET", "/manifests/") == 0
    assert client.head(REF.with_tag("2.0")).digest


def test_a_get_needed_by_head_is_refused_at_the_reserve() -> None:
    no_digest = manifest_response(
        index_body([]), head=True, digest=None, headers={"RateLimit-Remaining": "5;w=60"}
    )
    mock = MockRegistry().on("HEAD", "/manifests/", no_digest)
    with pytest.raises(RateLimited):
        make_client(mock).head(REF)
    assert mock.count("GET", "/manifests/") == 0


def test_quota_above_the_reserve_allows_gets() -> None:
    mock = (
        MockRegistry()
        .on(
            "HEAD",
            "/manifests/",
            manifest_response(BODY, head=True, headers={"RateLimit-Remaining": "6;w=60"}),
        )
        .on("GET", "/manifests/", manifest_response(BODY))
    )
    client = make_client(mock)
    client.head(REF)
    assert client.fetch(REF).body == BODY


def test_rate_limited_token_endpoint_defers_the_registry() -> None:
    clock = FakeClock()
    challenge = httpx.Response(
        401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.example/t",service="s"'}
    )
    mock = MockRegistry().on("GET", "/v2/$", challenge).on("GET", "auth.example", throttled("600"))
    client = make_client(mock, clock)
    with pytest.raises(RateLimited):
        client.head(REF)
    with pytest.raises(RateLimited):
        client.head(REF.with_tag("b"))
    assert mock.count("GET", "auth.example") == 1


def test_the_error_body_of_a_get_is_quoted() -> None:
    mock = MockRegistry().on("GET", "/manifests/", throttled("600"))
    with pytest.raises(RateLimited, match="TOOMANYREQUESTS: You have reached your pull rate limit"):
        make_client(mock).fetch(REF)
