"""Rate-limit headers, ``Retry-After`` and backoff (docs/registry.md section 6). Pure functions.

Docker Hub reports ``RateLimit-Limit: 100;w=21600`` and ``RateLimit-Remaining: 76;w=21600``
(count; window in seconds) and ``docker-ratelimit-source``; no such headers means the identity is
not limited. A 429 should carry ``Retry-After`` as delta-seconds or an HTTP-date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

__all__ = [
    "PAST_RETRY_AFTER_FALLBACK",
    "RateLimitStatus",
    "RetryPolicy",
    "backoff_delay",
    "parse_rate_limit",
    "parse_retry_after",
]

#: Seconds to wait when ``Retry-After`` names a moment already past (docs/registry.md L3).
PAST_RETRY_AFTER_FALLBACK = 2.0
_COUNT_RE = re.compile(r"\s*(\d+)")
_WINDOW_RE = re.compile(r"(?i)\bw\s*=\s*(\d+)")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a call may wait for a registry before it gives up.

    ``wait_budget`` bounds the total sleeping inside one call: when a 429 asks for more, the call
    fails at once with ``RateLimited`` and the registry is deferred until the wait is over (the
    check of every container of that registry is then ``deferred``, other registries go on).
    Without ``Retry-After``, waits double from ``backoff_initial`` up to ``backoff_cap`` for at
    most ``rate_limit_attempts`` attempts. 5xx, timeouts and network errors get
    ``transient_attempts`` attempts ``transient_delay`` (doubling) apart. While a registry
    reports ``remaining <= rate_limit_reserve`` pulls, manifest and blob GETs to it are refused.
    """

    rate_limit_attempts: int = 5
    backoff_initial: float = 2.0
    backoff_cap: float = 60.0
    wait_budget: float = 10.0
    transient_attempts: int = 3
    transient_delay: float = 0.5
    rate_limit_reserve: int = 5

    def __post_init__(self) -> None:
        if self.rate_limit_attempts < 1 or self.transient_attempts < 1:
            raise ValueError("retry attempts must be at least 1")
        if min(self.backoff_initial, self.backoff_cap, self.wait_budget) < 0:
            raise ValueError("retry delays must not be negative")


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The last quota a registry reported for our identity."""

    limit: int | None
    remaining: int | None
    window: int | None = None
    source: str | None = None


def backoff_delay(attempt: int, *, initial: float, cap: float) -> float:
    """The wait before retry number ``attempt`` (1-based): initial, doubling, capped."""
    return float(min(cap, initial * (2 ** max(attempt - 1, 0))))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait, from delta-seconds or an HTTP-date; ``None`` when absent or garbage.

    A date in the past gives :data:`PAST_RETRY_AFTER_FALLBACK` rather than zero, so a client
    with a skewed clock still pauses.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    delta = (moment - now).total_seconds()
    return delta if delta > 0 else PAST_RETRY_AFTER_FALLBACK


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimitStatus | None:
    """``RateLimit-Limit``/``RateLimit-Remaining`` (``count;w=seconds``), or ``None``.

    ``headers`` must be case-insensitive (``httpx.Headers``) or use lowercase names.
    """
    limit, limit_window = _quota(headers.get("ratelimit-limit"))
    remaining, remaining_window = _quota(headers.get("ratelimit-remaining"))
    if limit is None and remaining is None:
        return None
    return RateLimitStatus(
        limit=limit,
        remaining=remaining,
        window=remaining_window or limit_window,
        source=headers.get("docker-ratelimit-source"),
    )


def _quota(value: str | None) -> tuple[int | None, int | None]:
    """``100;w=21600`` (Hub), also the draft's ``100, 100;w=21600`` form."""
    if not value:
        return None, None
    count = _COUNT_RE.match(value)
    window = _WINDOW_RE.search(value)
    return (
        int(count.group(1)) if count else None,
        int(window.group(1)) if window else None,
    )
