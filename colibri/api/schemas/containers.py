"""Containers with the update status their last check left, and what a check did."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from colibri.api.schemas.common import ResponseModel
from colibri.domain.container_status import ContainerStatus
from colibri.domain.model import CheckStatus

if TYPE_CHECKING:
    from colibri.services.containers import CheckSummary

__all__ = ["ChangesPublic", "CheckSummaryPublic", "ContainerPublic", "EnvironmentCheckPublic"]


class ChangesPublic(ResponseModel):
    """What an offered update changes, from the OCI labels of both images: versions,
    revisions, the candidate's build time and age, and links to its release notes and to
    the compare view on a known forge (GitHub, GitLab, Codeberg/Gitea)."""

    old_version: str | None = None
    new_version: str | None = None
    old_revision: str | None = None
    new_revision: str | None = None
    source: str | None = None
    created: datetime | None = None
    age_seconds: int | None = None
    release_url: str | None = None
    compare_url: str | None = None
    kind: str | None = None


_CONTROL_KEYS = (
    "update_kind",
    "changes",
    "eligible_at",
    "skip_id",
    "skipped_until",
    "window",
    "window_open",
    "next_window_opening",
)


class ContainerPublic(ResponseModel):
    """One container as last checked: is its tag pointing at a newer image?"""

    environment_id: int
    name: str
    container_id: str
    image: str
    status: CheckStatus
    checked_at: datetime
    current_digest: str | None
    remote_digest: str | None
    reason: str
    update_kind: str | None = None
    changes: ChangesPublic | None = None
    eligible_at: datetime | None = None
    skip_id: int | None = None
    skipped_until: datetime | None = None
    window: str | None = None
    window_open: bool | None = None
    next_window_opening: datetime | None = None

    @classmethod
    def from_domain(cls, status: ContainerStatus) -> ContainerPublic:
        """The API's form of the domain's value."""
        controls = dict(status.controls)
        return cls(
            **{key: controls.get(key) for key in _CONTROL_KEYS},
            environment_id=status.environment_id,
            name=status.container_name,
            container_id=status.container_id,
            image=status.image,
            status=status.status,
            checked_at=status.checked_at,
            current_digest=status.current_digest,
            remote_digest=status.remote_digest,
            reason=status.reason,
        )


class EnvironmentCheckPublic(ResponseModel):
    """One environment's part of a check: containers by outcome, or why it failed."""

    environment_id: int
    environment: str
    checked: int
    counts: dict[CheckStatus, int]
    error: str | None


class CheckSummaryPublic(ResponseModel):
    """What a check did, environment by environment."""

    checked: int
    updates_available: int
    environments: list[EnvironmentCheckPublic]

    @classmethod
    def from_domain(cls, summary: CheckSummary) -> CheckSummaryPublic:
        """The API's form of the domain's value."""
        return cls(
            checked=summary.checked,
            updates_available=summary.updates_available,
            environments=[
                EnvironmentCheckPublic(
                    environment_id=part.environment_id,
                    environment=part.environment,
                    checked=part.checked,
                    counts=dict(part.counts),
                    error=part.error,
                )
                for part in summary.environments
            ],
        )
