"""Bad digests as the API shows them: the images not to try again on a container."""

from __future__ import annotations

from datetime import datetime

from colibri.api.schemas.common import ResponseModel
from colibri.domain.bad_digests import BadDigest
from colibri.domain.journal import RunStatus

__all__ = ["BadDigestPublic", "BadDigestRecords", "Cleared"]


class BadDigestPublic(ResponseModel):
    """``digest`` failed on the container (``status``, ``reason``, in run ``run_id``): it is
    skipped until a newer image appears or the record is cleared."""

    environment_id: int
    container_name: str
    digest: str
    status: RunStatus
    reason: str
    run_id: str | None
    recorded_at: datetime

    @classmethod
    def from_domain(cls, bad: BadDigest) -> BadDigestPublic:
        """The API's form of the domain's value."""
        return cls(
            environment_id=bad.environment_id,
            container_name=bad.container_name,
            digest=bad.digest,
            status=bad.status,
            reason=bad.reason,
            run_id=bad.run_id,
            recorded_at=bad.recorded_at,
        )


class Cleared(ResponseModel):
    """How many records were forgotten."""

    cleared: int


class BadDigestRecords(ResponseModel):
    """Some records (what a clearing forgot, in the audit trail)."""

    records: list[BadDigestPublic]
