"""Never the same bad image twice: a digest whose update of a container failed or was rolled
back is recorded for that container and not tried again.

:func:`is_bad_attempt` decides which outcomes count: a rollback always (the new container did
not pass its verification); a failure only once the new container existed (a failure to reach
the registry or the daemon says nothing about the image). :func:`skip_reason` is what a later
run of that container says when the check offers the same digest again: skipped, with the
first failure's reason and run. A newer digest is not in the record, so it is tried; a user
may clear the record (API or CLI) to try the same digest again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from colibri.domain.journal import RunStatus, Step

__all__ = ["BadDigest", "is_bad_attempt", "skip_reason"]

#: Steps that show the candidate had a container of its own when the update failed.
_IMAGE_RAN = frozenset({Step.START, Step.VERIFY, Step.ROLLBACK})


@dataclass(frozen=True, slots=True)
class BadDigest:
    """``digest`` failed (``status``: ``rolled_back`` or ``failed``) for one container, in run
    ``run_id``, because of ``reason``."""

    environment_id: int
    container_name: str
    digest: str
    status: RunStatus
    reason: str
    run_id: str | None
    recorded_at: datetime


def is_bad_attempt(status: RunStatus, steps: Iterable[Step], digest: str | None) -> bool:
    """Whether an update that ended ``status`` after ``steps`` marks its candidate ``digest``
    as bad for the container."""
    if not digest:
        return False
    if status is RunStatus.ROLLED_BACK:
        return True
    return status is RunStatus.FAILED and not _IMAGE_RAN.isdisjoint(steps)


def skip_reason(bad: BadDigest) -> str:
    """Why the container is left alone while its tag still points at ``bad.digest``."""
    run = f" in run {bad.run_id}" if bad.run_id else ""
    return (
        f"{bad.digest} was {bad.status.value.replace('_', ' ')}{run} ({bad.reason}); "
        "not tried again until a newer image appears or the record is cleared"
    )
