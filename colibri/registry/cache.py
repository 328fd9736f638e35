"""Concurrency helpers: single-flight calls and a bounded LRU. Thread-safe, no I/O."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LRUCache", "SingleFlight", "fresh_copy"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Call(Generic[V]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None


class SingleFlight(Generic[K, V]):
    """Concurrent calls for the same key run ``fn`` once; the others wait for its outcome.

    Waiters get the leader's value, or the leader's exception raised again. Nothing is kept
    once the call is over: caching is the caller's business.
    """

    def __init__(self) -> None:
        self._calls: dict[K, _Call[V]] = {}
        self._lock = threading.Lock()

    def run(self, key: K, fn: Callable[[], V]) -> V:
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if call is None:
                call = self._calls[key] = _Call()
        if not leader:
            call.done.wait()
            if call.error is not None:
                raise fresh_copy(call.error)
            return call.value  # type: ignore[return-value]
        try:
            call.value = fn()
            return call.value
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()


class LRUCache(Generic[K, V]):
    """At most ``max_entries`` values and ``max_bytes`` of their ``size``, oldest use evicted."""

    def __init__(
        self, *, max_entries: int, max_bytes: int, size: Callable[[V], int] = lambda _: 0
    ) -> None:
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._size = size
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if key in self._entries:
                self._bytes -= self._size(self._entries.pop(key))
            self._entries[key] = value
            self._bytes += self._size(value)
            while self._entries and (
                len(self._entries) > self._max_entries or self._bytes > self._max_bytes
            ):
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= self._size(evicted)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def fresh_copy(error: BaseException) -> BaseException:
    """A copy of ``error`` to raise again elsewhere (one instance, one traceback)."""
    try:
        duplicate = copy.copy(error)
    except Exception:  # noqa: BLE001 - an exotic exception type: raise the original
        return error
    return duplicate.with_traceback(None)
