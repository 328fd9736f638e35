"""Containers with the update status their last check left, and what a check did."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from colibri.api.schemas.common import ContainerName, EnvironmentName, RequestModel, ResponseModel
from colibri.domain.container_status import ContainerStatus
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckStatus
from colibri.domain.service_plan import Effective, Mode, ScheduleSource

if TYPE_CHECKING:
    from colibri.services.containers import CheckSummary

__all__ = [
    "BatchStarted",
    "ChangesPublic",
    "CheckSummaryPublic",
    "ContainerPublic",
    "ContainerRef",
    "EnvironmentCheckPublic",
    "SchedulePublic",
    "UpdateRequestBody",
    "UpdatesRequest",
]


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


class SchedulePublic(ResponseModel):
    """When and how the service updates the container: ``source`` says what decides
    (``setting`` made in the API, ``label`` ``colibri.schedule``, ``default``
    ``COLIBRI_SCHEDULE``); ``mode`` ``notify`` is monitor only."""

    cron_expression: str
    timezone: str
    source: ScheduleSource
    mode: Mode
    cleanup: bool
    next_run_at: datetime | None
    last_status: RunStatus | None
    last_run_id: str | None

    @classmethod
    def from_domain(cls, found: Effective) -> SchedulePublic:
        """The API's form of the domain's value."""
        return cls(
            cron_expression=found.cron,
            timezone=found.timezone,
            source=found.source,
            mode=found.mode,
            cleanup=found.cleanup,
            next_run_at=found.next_run_at,
            last_status=found.last_status,
            last_run_id=found.last_run_id,
        )


class ContainerPublic(ResponseModel):
    """One container as last checked: is its tag pointing at a newer image? And its
    effective ``schedule`` (``null``: not opted in, the service leaves it alone)."""

    environment_id: int
    name: str
    container_id: str
    image: str
    status: CheckStatus
    checked_at: datetime
    current_digest: str | None
    remote_digest: str | None
    reason: str
    schedule: SchedulePublic | None = None
    update_kind: str | None = None
    changes: ChangesPublic | None = None
    eligible_at: datetime | None = None
    skip_id: int | None = None
    skipped_until: datetime | None = None
    window: str | None = None
    window_open: bool | None = None
    next_window_opening: datetime | None = None

    @classmethod
    def from_domain(
        cls, status: ContainerStatus, schedule: Effective | None = None
    ) -> ContainerPublic:
        """The API's form of the domain's value."""
        controls = dict(status.controls)
        return cls(
            schedule=None if schedule is None else SchedulePublic.from_domain(schedule),
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


class UpdateRequestBody(RequestModel):
    """Options of an update asked for now."""

    dry_run: bool = Field(False, description="Pull nothing, change nothing; say what would happen.")


class ContainerRef(RequestModel):
    """A container by environment and name."""

    environment: EnvironmentName = "local"
    name: ContainerName


class UpdatesRequest(UpdateRequestBody):
    """The containers to update now: a list, or ``all`` (every opted-in container the
    service would update on its schedules, monitor-only ones left out)."""

    containers: list[ContainerRef] = Field(default_factory=list, max_length=1000)
    all: bool = False


class BatchStarted(ResponseModel):
    """Runs started now, one per container: follow each at ``/api/runs/{run_id}/events``
    (or all of them at ``/api/events``)."""

    runs: dict[str, str] = Field(description="`environment/name` → its run id.")
