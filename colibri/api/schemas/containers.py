"""Containers with the update status their last check left."""

from __future__ import annotations

from datetime import datetime

from colibri.api.schemas.common import ResponseModel
from colibri.domain.container_status import ContainerStatus
from colibri.domain.model import CheckStatus

__all__ = ["ContainerPublic"]


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

    @classmethod
    def from_domain(cls, status: ContainerStatus) -> ContainerPublic:
        return cls(
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
