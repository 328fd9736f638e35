"""Audit entries as ``GET /api/audit`` shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from colibri.api.schemas.common import ResponseModel
from colibri.domain.audit import AuditAction, AuditEntry, AuditResource

__all__ = ["AuditPublic"]


class AuditPublic(ResponseModel):
    """One change: who (``actor`` is ``token:<name>``, ``token_id`` its id), when, what, and
    the resource before and after (``null`` where it did not exist)."""

    id: int
    at: datetime
    actor: str
    token_id: int | None
    action: AuditAction
    resource: AuditResource
    resource_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def from_domain(cls, entry: AuditEntry) -> AuditPublic:
        """The API's form of the domain's value."""
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            token_id=entry.token_id,
            action=entry.action,
            resource=entry.resource,
            resource_id=entry.resource_id,
            before=None if entry.before is None else dict(entry.before),
            after=None if entry.after is None else dict(entry.after),
        )
