"""A container's update lock: held in this process and in the store, for one lifetime.

The key is ``<environment>/<container>``. The store's lock (``Journal.acquire_lock``) keeps
other processes and hosts out; it lets a holder with this process's (hostname, pid) take it
over, so two threads of one process are kept apart by :class:`KeyClaims` first. Whoever
updates or recovers a container holds both (:meth:`UpdateLocks.hold`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from colibri.domain.journal import LOCK_TTL_SECONDS, LockOwner
from colibri.domain.ports import Journal
from colibri.errors import ColibriError, LockHeld
from colibri.instance import this_process

__all__ = ["KeyClaims", "UpdateLocks", "lock_key", "owner_for"]

log = logging.getLogger(__name__)


def lock_key(environment: str, container_name: str) -> str:
    return f"{environment}/{container_name}"


def owner_for(run_id: str) -> LockOwner:
    """This process instance, holding a lock for ``run_id``."""
    return this_process().owner(run_id)


class KeyClaims:
    """Keys claimed by a thread of this process. Share one instance per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[str] = set()

    def claim(self, key: str) -> bool:
        with self._lock:
            if key in self._keys:
                return False
            self._keys.add(key)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._keys.discard(key)


class UpdateLocks:
    """Both levels of a container's lock, taken and released together."""

    def __init__(self, journal: Journal, claims: KeyClaims | None = None) -> None:
        self.journal = journal
        self.claims = claims or KeyClaims()

    @contextmanager
    def hold(self, key: str, owner: LockOwner) -> Iterator[None]:
        """Hold ``key`` inside the block; raises ``LockHeld`` when either level is taken."""
        if not self.claims.claim(key):
            raise LockHeld(f"another update of {key} is running in this process")
        try:
            self.journal.acquire_lock(key, owner, LOCK_TTL_SECONDS)
            try:
                yield
            finally:
                self._release(key, owner)
        finally:
            self.claims.release(key)

    def refresh(self, key: str, owner: LockOwner) -> None:
        self.journal.refresh_lock(key, owner, LOCK_TTL_SECONDS)

    def holder(self, key: str) -> LockOwner | None:
        return self.journal.lock_holder(key)

    def _release(self, key: str, owner: LockOwner) -> None:
        try:
            self.journal.release_lock(key, owner)
        except ColibriError as exc:
            log.warning("could not release the lock on %s: %s (it expires)", key, exc)
