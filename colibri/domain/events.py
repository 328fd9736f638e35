"""What Colibri tells people about: one value per thing that happened to one container.

Five events, each a frozen value with what its message needs and nothing secret:

* :class:`UpdateAvailable`: a check found that the tag points at a new digest;
* :class:`Updated`: the container runs the new image and was verified;
* :class:`Blocked`: the gate refused the candidate; the container was not touched;
* :class:`RolledBack`: the new container failed and the old one runs again;
* :class:`Failed`: the update failed (before the switch, or its rollback failed too).

Events that would repeat without news carry a :attr:`dedup_key`: an update that stays
available is announced once per (environment, container, remote digest), and a candidate the
gate keeps blocking on every scheduled run is announced once per (environment, container,
digest). The key's parts are separated by ``/``; only the environment may contain one, and it
comes first, so two different triples never share a key. The other events happen once per run
and are always sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from colibri.domain.model import CheckResult, CheckStatus

__all__ = [
    "ALL_EVENTS",
    "Blocked",
    "Event",
    "EventKind",
    "Failed",
    "RolledBack",
    "UpdateAvailable",
    "Updated",
    "update_available_from",
]


class EventKind(StrEnum):
    """The name of an event, as notification targets list the events they want."""

    UPDATE_AVAILABLE = "update_available"
    UPDATED = "updated"
    BLOCKED = "blocked"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


ALL_EVENTS: tuple[EventKind, ...] = tuple(EventKind)


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateAvailable:
    """The tag ``image`` now points at ``remote_digest``; the container runs ``current_digest``
    (``None`` when unknown). ``new_tag`` is the newer version tag a version policy found;
    ``changes`` one line of what changes (versions, kind, age, release notes or compare link)."""

    kind: ClassVar[EventKind] = EventKind.UPDATE_AVAILABLE

    environment: str
    container: str
    image: str
    remote_digest: str
    current_digest: str | None = None
    new_tag: str | None = None
    changes: str | None = None

    @property
    def dedup_key(self) -> str | None:
        """Once per (environment, container, remote digest)."""
        return f"{self.kind}/{self.environment}/{self.container}/{self.remote_digest}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Updated:
    """The container was recreated on the new image and verified; ``downtime_ms`` is the
    stop -> start window."""

    kind: ClassVar[EventKind] = EventKind.UPDATED

    environment: str
    container: str
    image: str
    old_digest: str | None = None
    new_digest: str | None = None
    old_image_id: str | None = None
    new_image_id: str | None = None
    downtime_ms: int | None = None
    run_id: str | None = None

    @property
    def dedup_key(self) -> str | None:
        """Never de-duplicated: each one is a change."""
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Blocked:
    """The gate refused ``digest``; ``summary`` is the decision's one line
    (``colibri.domain.criteria.Decision.summary``) or the verdict's reason."""

    kind: ClassVar[EventKind] = EventKind.BLOCKED

    environment: str
    container: str
    image: str
    summary: str
    digest: str | None = None
    run_id: str | None = None

    @property
    def dedup_key(self) -> str | None:
        """Once per (environment, container, candidate digest), when the digest is known."""
        if not self.digest:
            return None
        return f"{self.kind}/{self.environment}/{self.container}/{self.digest}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RolledBack:
    """The new container failed (``reason``); the old one was given back its name and runs."""

    kind: ClassVar[EventKind] = EventKind.ROLLED_BACK

    environment: str
    container: str
    image: str
    reason: str
    digest: str | None = None
    run_id: str | None = None

    @property
    def dedup_key(self) -> str | None:
        """Never de-duplicated: every attempt cost downtime."""
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed:
    """The update failed (``reason``): before the switch, or a rollback failed as well."""

    kind: ClassVar[EventKind] = EventKind.FAILED

    environment: str
    container: str
    image: str
    reason: str
    digest: str | None = None
    run_id: str | None = None

    @property
    def dedup_key(self) -> str | None:
        """Never de-duplicated: a failure may need someone."""
        return None


Event = UpdateAvailable | Updated | Blocked | RolledBack | Failed


def update_available_from(result: CheckResult, environment: str) -> UpdateAvailable | None:
    """The event for one check result, or ``None`` when it does not report an update."""
    if result.status is not CheckStatus.UPDATE_AVAILABLE or not result.remote_digest:
        return None
    return UpdateAvailable(
        environment=environment,
        container=result.container,
        image=result.image,
        remote_digest=result.remote_digest,
        current_digest=result.current_digest,
        new_tag=result.target_tag,
        changes=result.notes.changes.summary() if result.notes and result.notes.changes else None,
    )
