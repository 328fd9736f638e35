"""Single-flight and the LRU cache."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from colibri.errors import ManifestUnknown
from colibri.registry.cache import LRUCache, SingleFlight


def test_concurrent_callers_share_one_call() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    calls = 0

    def slow() -> int:
        nonlocal calls
        calls += 1
        time.sleep(0.2)
        return 42

    together = threading.Barrier(8)  # all eight ask at once, however slowly threads start

    def ask() -> int:
        together.wait(5)
        return flight.run("k", slow)

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(ask) for _ in range(8)]
        results = [future.result() for future in futures]
    assert results == [42] * 8
    assert calls == 1


def test_waiters_get_a_copy_of_the_leaders_error() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    release = threading.Event()

    def failing() -> int:
        release.wait(2)
        raise ManifestUnknown("gone", registry="r")

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(flight.run, "k", failing) for _ in range(3)]
        time.sleep(0.1)
        release.set()
        errors = [future.exception() for future in futures]
    assert all(isinstance(error, ManifestUnknown) for error in errors)
    assert all(error is not None and error.registry == "r" for error in errors)  # type: ignore[attr-defined]


def test_nothing_is_kept_after_the_call() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    assert flight.run("k", lambda: 1) == 1
    assert flight.run("k", lambda: 2) == 2
    with pytest.raises(ValueError, match="boom"):
        flight.run("k", _boom)
    assert flight.run("k", lambda: 3) == 3


def _boom() -> int:
    raise ValueError("boom")


def test_lru_bounds_entries_and_bytes() -> None:
    cache: LRUCache[str, bytes] = LRUCache(max_entries=3, max_bytes=10, size=len)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recent
    cache.put("c", b"1234")  # 12 bytes > 10: evict the least recent (b)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    cache.put("d", b"1")
    cache.put("e", b"1")
    assert len(cache) == 3
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None
