"""What the routes call after a change: it goes to the audit trail with the request's token
and the resource as the API shows it, before and after."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from colibri.api.deps import ApiServices
from colibri.domain.audit import AuditAction, AuditResource
from colibri.domain.tokens import ApiToken

__all__ = ["audited"]


def audited(
    services: ApiServices,
    token: ApiToken,
    action: AuditAction,
    resource: AuditResource,
    resource_id: object,
    *,
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> None:
    """Record one change (never failing the request: the service logs what it cannot keep)."""
    services.audit.record(
        token, action, resource, resource_id, before=_plain(before), after=_plain(after)
    )


def _plain(model: BaseModel | None) -> dict[str, Any] | None:
    return None if model is None else model.model_dump(mode="json")
