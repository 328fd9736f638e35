"""What the client knows about each registry: concurrency, quota, deferral and counters."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from colibri.errors import RateLimited
from colibri.registry.ratelimits import RateLimitStatus

__all__ = ["RegistryState", "RegistryStats"]


@dataclass(frozen=True, slots=True)
class RegistryStats:
    """A snapshot of one registry's counters, for metrics and logs.

    ``requests`` counts every HTTP request sent on this registry's behalf by method (token
    requests included; ``token_requests`` counts those alone); ``throttled`` the 429 answers;
    ``retries`` the requests sent again after a 429, 5xx or network failure; ``deferred_for`` the
    seconds left before the registry is asked again (``None`` when not deferred).
    """

    registry: str
    requests: Mapping[str, int] = field(default_factory=dict)
    token_requests: int = 0
    throttled: int = 0
    retries: int = 0
    rate_limit: RateLimitStatus | None = None
    deferred_for: float | None = None


class RegistryState:
    """Mutable, lock-protected state of one registry (keyed by ``ImageRef.registry_key``)."""

    def __init__(self, key: str, concurrency: int) -> None:
        self.key = key
        self.slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._token_requests = 0
        self._throttled = 0
        self._retries = 0
        self._rate_limit: RateLimitStatus | None = None
        self._deferred_until: float | None = None
        self._deferred_reason = ""

    def count_request(self, method: str, *, token: bool = False) -> None:
        with self._lock:
            self._requests[method] += 1
            self._token_requests += int(token)

    def count_throttled(self) -> None:
        with self._lock:
            self._throttled += 1

    def count_retry(self) -> None:
        with self._lock:
            self._retries += 1

    def record_rate_limit(self, status: RateLimitStatus) -> None:
        with self._lock:
            self._rate_limit = status

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        with self._lock:
            return self._rate_limit

    def defer(self, until: float, reason: str) -> None:
        """Refuse every request to this registry until the monotonic time ``until``."""
        with self._lock:
            if self._deferred_until is None or until > self._deferred_until:
                self._deferred_until = until
                self._deferred_reason = reason

    def check_deferred(self, now: float) -> None:
        """Raise ``RateLimited`` (without any request) while the registry is deferred."""
        with self._lock:
            until, reason = self._deferred_until, self._deferred_reason
        if until is not None and now < until:
            raise RateLimited(
                f"{self.key} is deferred for {until - now:.0f} s more ({reason})",
                registry=self.key,
                retry_after=until - now,
            )

    def check_reserve(self, reserve: int) -> None:
        """Raise ``RateLimited`` when the reported quota is down to the reserve (L2)."""
        status = self.rate_limit
        if status is None or status.remaining is None or status.remaining > reserve:
            return
        raise RateLimited(
            f"{self.key} reports {status.remaining} pulls left (reserve {reserve}): "
            "requests that count as pulls are deferred",
            registry=self.key,
            retry_after=float(status.window or 60),
        )

    def snapshot(self, now: float) -> RegistryStats:
        with self._lock:
            deferred = self._deferred_until
            return RegistryStats(
                registry=self.key,
                requests=dict(self._requests),
                token_requests=self._token_requests,
                throttled=self._throttled,
                retries=self._retries,
                rate_limit=self._rate_limit,
                deferred_for=(deferred - now) if deferred is not None and deferred > now else None,
            )
