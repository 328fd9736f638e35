"""Thread-safe memos shared by the layers (stdlib only, no I/O of their own)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

__all__ = ["Once"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Once(Generic[K, V]):
    """Each key's value computed once for the memo's lifetime, by whichever caller asks first;
    concurrent callers wait for it. A call that raised raises again for every caller (the
    key is not retried: make a new memo for a new attempt)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[K, Future[V]] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            future = self._futures.get(key)
            leader = future is None
            if future is None:
                future = self._futures[key] = Future()
        if leader:
            try:
                future.set_result(compute())
            except BaseException as exc:  # noqa: BLE001 - handed to every caller
                future.set_exception(exc)
        return future.result()

    def clear(self) -> None:
        with self._lock:
            self._futures.clear()
