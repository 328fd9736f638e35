"""``SqlAudit``: the audit trail of changes made through the API (:mod:`colibri.domain.audit`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from colibri.domain.audit import AuditAction, AuditEntry, AuditResource, NewAuditEntry
from colibri.store.db import reading, rowcount, writing
from colibri.store.errors import translate
from colibri.store.records import json_document
from colibri.store.repository import Repository, from_row, page
from colibri.store.tables import AuditRow

__all__ = ["SqlAudit"]


class SqlAudit(Repository):
    """Appends and reads audit entries; every method is one transaction."""

    def record(self, new: NewAuditEntry) -> AuditEntry:
        """Append ``new``, stamped now."""
        operation = f"record the audit of {new.action} {new.resource} {new.resource_id}"
        row = AuditRow(
            at=self._now(),
            token_id=new.token_id,
            actor=new.actor[:255],
            action=new.action.value,
            resource=new.resource.value,
            resource_id=new.resource_id[:64],
            before=None if new.before is None else json_document(new.before, operation),
            after=None if new.after is None else json_document(new.after, operation),
        )
        with translate(operation), writing(self._sessions) as s:
            s.add(row)
            s.flush()
            return _entry(row)

    def list_entries(
        self, *, resource: AuditResource | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """Entries, newest first, optionally of one kind of resource."""
        page("list the audit trail", limit, offset)
        query = select(AuditRow).order_by(AuditRow.id.desc())
        if resource is not None:
            query = query.where(AuditRow.resource == resource.value)
        with translate("list the audit trail"), reading(self._sessions) as s:
            return [_entry(row) for row in s.scalars(query.limit(limit).offset(offset))]

    def forget_before(self, before: datetime) -> int:
        """Delete entries older than ``before``; how many."""
        statement = delete(AuditRow).where(AuditRow.at < before)
        with translate("forget old audit entries"), writing(self._sessions) as s:
            return rowcount(s, statement)


def _entry(row: AuditRow) -> AuditEntry:
    def build() -> AuditEntry:
        return AuditEntry(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=AuditAction(row.action),
            resource=AuditResource(row.resource),
            resource_id=row.resource_id,
            before=row.before,
            after=row.after,
            token_id=row.token_id,
        )

    return from_row(f"audit entry {row.id}", build)
