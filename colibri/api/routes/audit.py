"""``/api/audit``: the changes made through the API, newest first (``audit:read``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from colibri.api.deps import ServicesDep, require
from colibri.api.responses import answers
from colibri.api.schemas.audit import AuditPublic
from colibri.api.schemas.common import MAX_ID
from colibri.domain.audit import AuditResource
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", dependencies=[require(Permission.AUDIT_READ)], responses=answers())
def list_audit(
    services: ServicesDep,
    resource: Annotated[AuditResource | None, Query(description="Only this kind's.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[AuditPublic]:
    """Who changed what, when, before and after; a page at a time."""
    entries = services.audit.list(resource=resource, limit=limit, offset=offset)
    return [AuditPublic.from_domain(entry) for entry in entries]
