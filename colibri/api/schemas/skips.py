"""Skips and snoozes as the API shows and takes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from colibri.api.schemas.common import ContainerName, Id, RequestModel, ResponseModel, Text
from colibri.domain.skips import Skip

__all__ = ["SkipCreate", "SkipPublic", "SkipsCleared"]


class SkipCreate(RequestModel):
    """A skip of one container's updates.

    ``version`` (a version such as ``1.28.0``, or a digest ``sha256:…``) is not offered;
    without it and with ``until`` every update is snoozed until then; with neither, the
    update the container's last check offered is skipped. ``until`` is ``7d``, ``12h``, ``2w``
    from now or an ISO 8601 date or time."""

    environment_id: Id
    container: ContainerName
    version: Text | None = None
    until: Text | None = None
    reason: str = Field("", max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")


class SkipPublic(ResponseModel):
    """A skip in force: ``kind`` is ``digest``, ``version`` or ``snooze``; ``until`` is
    ``null`` for a version skipped for good."""

    id: int
    environment: str
    container: str
    kind: str
    version: str | None
    until: datetime | None
    reason: str
    created_at: datetime

    @classmethod
    def from_domain(cls, skip: Skip) -> SkipPublic:
        return cls(
            id=skip.id,
            environment=skip.environment,
            container=skip.container_name,
            kind=skip.kind.value,
            version=skip.version,
            until=skip.until,
            reason=skip.reason,
            created_at=skip.created_at,
        )


class SkipsCleared(ResponseModel):
    """How many skips and snoozes of a container were cleared."""

    container: str
    cleared: int
