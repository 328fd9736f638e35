"""The audit trail: who changed what through the API, when, and what it was before and after.

An :class:`AuditEntry` names the token that made the change (its id and name: never its
secret), the action (``create``, ``update``, ``delete``, ``clear``), the resource
(``auto_update``, ``environment``, ``notification_target``, ``bad_digest``) and its id, and the
resource as the API shows it before and after (``None`` for what did not exist). What the API
shows is what is kept, so secrets (notification URLs) appear only in their redacted form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["AuditAction", "AuditEntry", "AuditResource", "NewAuditEntry"]


class AuditAction(StrEnum):
    """What was done."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CLEAR = "clear"


class AuditResource(StrEnum):
    """To what."""

    AUTO_UPDATE = "auto_update"
    ENVIRONMENT = "environment"
    NOTIFICATION_TARGET = "notification_target"
    BAD_DIGEST = "bad_digest"


@dataclass(frozen=True, slots=True)
class NewAuditEntry:
    """A change to record; ``token_id`` is ``None`` for a change made outside the API
    (``actor`` then says who, as ``cli``)."""

    actor: str
    action: AuditAction
    resource: AuditResource
    resource_id: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    token_id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A recorded change, numbered in the order changes were made."""

    id: int
    at: datetime
    actor: str
    action: AuditAction
    resource: AuditResource
    resource_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    token_id: int | None
