"""The last check of each container, kept so ``GET /api/containers`` needs no registry call.

One :class:`ContainerStatus` per (environment, container name without Docker's leading
``/``): each check replaces the previous one. The name is the key, not the container ID,
because an update recreates the container under the same name with a new ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from colibri.domain.invalid import check_aware, parse_choice
from colibri.domain.model import CheckResult, CheckStatus
from colibri.domain.settings import check_container_name

__all__ = ["ContainerStatus"]


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """What the last check of one container found, and when (``checked_at``, aware);
    ``controls`` is what the operator's controls said (``ControlNotes.as_dict``: update kind,
    what changed, eligible at, skipped until, window), empty when they said nothing."""

    environment_id: int
    container_name: str
    container_id: str
    image: str
    status: CheckStatus
    checked_at: datetime
    current_digest: str | None = None
    remote_digest: str | None = None
    reason: str = ""
    controls: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "container_name", check_container_name(self.container_name))
        object.__setattr__(self, "status", parse_choice(CheckStatus, self.status, "status"))
        check_aware(self.checked_at, "checked_at")

    @classmethod
    def from_check(
        cls, result: CheckResult, *, environment_id: int, checked_at: datetime
    ) -> ContainerStatus:
        """The status a check result leaves behind."""
        return cls(
            environment_id=environment_id,
            container_name=result.container,
            container_id=result.container_id,
            image=result.image,
            status=result.status,
            checked_at=checked_at,
            current_digest=result.current_digest,
            remote_digest=result.remote_digest,
            reason=result.reason,
            controls=result.notes.as_dict() if result.notes else {},
        )
