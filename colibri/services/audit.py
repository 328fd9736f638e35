"""The audit trail of changes made through the API (``GET /api/audit``).

The API records every change it makes (:meth:`AuditService.record`) after it was made, with
the token that asked and the resource as the API shows it before and after. Recording never
fails the change it records: a store failure is logged as an error. Entries are kept as long
as the run history; :meth:`AuditService.forget_before` drops older ones.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from colibri.domain.audit import AuditAction, AuditEntry, AuditResource, NewAuditEntry
from colibri.domain.tokens import ApiToken
from colibri.errors import ColibriError
from colibri.services.paging import check_page

__all__ = ["AuditService", "AuditStore"]

log = logging.getLogger(__name__)


class AuditStore(Protocol):
    """Where entries are kept (``colibri.store.audit.SqlAudit``)."""

    def record(self, new: NewAuditEntry) -> AuditEntry: ...

    def list_entries(
        self, *, resource: AuditResource | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[AuditEntry]: ...

    def forget_before(self, before: datetime) -> int: ...


class AuditService:
    """Records and lists changes."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    def record(
        self,
        token: ApiToken | None,
        action: AuditAction,
        resource: AuditResource,
        resource_id: object,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEntry | None:
        """Record one change by ``token`` (``None``: from the command line); ``None`` when the
        store could not keep it (logged)."""
        new = NewAuditEntry(
            actor="cli" if token is None else f"token:{token.name}",
            action=action,
            resource=resource,
            resource_id=str(resource_id),
            before=before,
            after=after,
            token_id=None if token is None else token.id,
        )
        try:
            return self.store.record(new)
        except ColibriError as exc:
            log.error("the audit of %s %s %s was not kept: %s", action, resource, resource_id, exc)
            return None

    def list(
        self, resource: AuditResource | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[AuditEntry]:
        """Entries, newest first; ``Invalid`` for a bad page."""
        check_page(limit, offset)
        return self.store.list_entries(resource=resource, limit=limit, offset=offset)

    def forget_before(self, before: datetime) -> int:
        """Drop entries older than ``before`` (the run history's retention)."""
        return self.store.forget_before(before)
