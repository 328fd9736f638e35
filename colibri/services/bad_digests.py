"""The record of bad digests: kept after a failed update, read before the next one, cleared
on request (``GET /api/bad-digests``, ``DELETE /api/containers/{environment}/{name}/
bad-digests``, ``colibri bad-digest``).

:meth:`BadDigestService.note` looks at a finished update: a rollback, or a failure after the
new container existed (:func:`~colibri.domain.bad_digests.is_bad_attempt`), records its
candidate digest for that container with the reason and the run. The run's own notification
(``rolled_back``, ``failed``) is the one message people get: a later run that meets the same
digest is ``skipped`` (:meth:`blocking` gives the record, its reason says why) and tells no
one. A newer digest is tried as usual.
"""

from __future__ import annotations

import builtins
import logging
from typing import Protocol

from colibri.domain.bad_digests import BadDigest, is_bad_attempt
from colibri.domain.journal import RunStatus
from colibri.domain.ports import Clock, Journal
from colibri.errors import ColibriError

__all__ = ["BadDigestService", "BadDigestStore"]

log = logging.getLogger(__name__)


class BadDigestStore(Protocol):
    """Where the records are kept (``colibri.store.bad_digests.SqlBadDigests``)."""

    def record(self, bad: BadDigest) -> None: ...

    def find(self, environment_id: int, container_name: str, digest: str) -> BadDigest | None: ...

    def list_bad(
        self, environment_id: int | None = None, container_name: str | None = None
    ) -> builtins.list[BadDigest]: ...

    def clear(self, environment_id: int, container_name: str, digest: str | None = None) -> int: ...


class BadDigestService:
    """Notes, finds, lists and clears bad digests."""

    def __init__(self, store: BadDigestStore, journal: Journal, clock: Clock) -> None:
        self.store = store
        self.journal = journal
        self.clock = clock

    def note(
        self,
        environment_id: int,
        container_name: str,
        status: RunStatus,
        digest: str | None,
        reason: str,
        run_id: str | None,
    ) -> BadDigest | None:
        """Record the candidate of a finished update when the outcome marks it bad; the
        record, or ``None``. Never raises (a store failure is logged)."""
        try:
            steps = [] if run_id is None else [s.step for s in self.journal.get_run(run_id).steps]
            if not is_bad_attempt(status, steps, digest):
                return None
            assert digest is not None
            bad = BadDigest(
                environment_id=environment_id,
                container_name=container_name,
                digest=digest,
                status=status,
                reason=reason,
                run_id=run_id,
                recorded_at=self.clock.now(),
            )
            self.store.record(bad)
        except ColibriError as exc:
            log.error("the bad digest of %s was not recorded: %s", container_name, exc)
            return None
        log.info("%s: %s recorded as bad (%s)", container_name, digest, status.value)
        return bad

    def blocking(self, environment_id: int, container_name: str, digest: str) -> BadDigest | None:
        """The record that keeps ``digest`` from being tried on the container, if any."""
        return self.store.find(environment_id, container_name, digest)

    def list(
        self, environment_id: int | None = None, container_name: str | None = None
    ) -> builtins.list[BadDigest]:
        """The records, optionally of one environment or container."""
        return self.store.list_bad(environment_id, container_name)

    def clear(self, environment_id: int, container_name: str, digest: str | None = None) -> int:
        """Forget a container's records (only ``digest``'s when given): the next run tries
        that image again. How many were forgotten."""
        cleared = self.store.clear(environment_id, container_name, digest)
        log.info("%s: %d bad digest record(s) cleared", container_name, cleared)
        return cleared
