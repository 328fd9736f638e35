"""``/api/notifications``: where notifications go, and a test message.

Reading needs ``notifications:read``; creating, changing, deleting and test messages need
``notifications:manage``. A target's URL is taken, never given back (``redacted_url`` only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from colibri.api.audit import audited
from colibri.api.deps import ServicesDep, TokenDep, require
from colibri.api.errors import not_found
from colibri.api.responses import CONFLICT, NOT_FOUND, UNREADABLE, answers
from colibri.api.schemas.common import MAX_ID
from colibri.api.schemas.notifications import (
    DeliveryResult,
    TargetCreate,
    TargetPublic,
    TargetReplace,
    TargetUpdate,
)
from colibri.domain.audit import AuditAction, AuditResource
from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(prefix="/api/notifications", tags=["notifications"])

TargetId = Annotated[int, Path(ge=1, le=MAX_ID, description="The target's id.")]
_READ = [require(Permission.NOTIFICATIONS_READ)]
_MANAGE = [require(Permission.NOTIFICATIONS_MANAGE)]


def _target(services: ServicesDep, target_id: int) -> NotificationTarget:
    target = services.targets.get(target_id)
    if target is None:
        not_found(f"notification target {target_id}")
    return target


@router.get("", dependencies=_READ, responses=answers())
def list_targets(services: ServicesDep) -> list[TargetPublic]:
    """Every target, by name."""
    return [TargetPublic.from_domain(target) for target in services.targets.list()]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=_MANAGE,
    responses=answers(CONFLICT, UNREADABLE),
)
def create_target(
    services: ServicesDep, token: TokenDep, body: TargetCreate, response: Response
) -> TargetPublic:
    """Add a target; 409 if its name is taken. The answer shows the URL redacted."""
    created = TargetPublic.from_domain(services.targets.create(body.to_domain()))
    _audit(services, token, AuditAction.CREATE, created.id, after=created)
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return created


@router.get("/{target_id}", dependencies=_READ, responses=answers(NOT_FOUND))
def get_target(services: ServicesDep, target_id: TargetId) -> TargetPublic:
    """One target."""
    return TargetPublic.from_domain(_target(services, target_id))


@router.put(
    "/{target_id}", dependencies=_MANAGE, responses=answers(NOT_FOUND, CONFLICT, UNREADABLE)
)
def replace_target(
    services: ServicesDep, token: TokenDep, target_id: TargetId, body: TargetReplace
) -> TargetPublic:
    """Replace name, events and switch (and the URL, when one is given)."""
    current = _target(services, target_id)
    return _save(services, token, current, body.applied_to(current))


@router.patch(
    "/{target_id}", dependencies=_MANAGE, responses=answers(NOT_FOUND, CONFLICT, UNREADABLE)
)
def update_target(
    services: ServicesDep, token: TokenDep, target_id: TargetId, body: TargetUpdate
) -> TargetPublic:
    """Change some fields; the others keep their value."""
    current = _target(services, target_id)
    return _save(services, token, current, body.applied_to(current))


def _save(
    services: ServicesDep, token: TokenDep, current: NotificationTarget, new: NewNotificationTarget
) -> TargetPublic:
    saved = services.targets.update(current.id, new)
    if saved is None:
        not_found(f"notification target {current.id}")
    after, before = TargetPublic.from_domain(saved), TargetPublic.from_domain(current)
    _audit(services, token, AuditAction.UPDATE, current.id, before=before, after=after)
    return after


def _audit(
    services: ServicesDep,
    token: TokenDep,
    action: AuditAction,
    target_id: int,
    *,
    before: TargetPublic | None = None,
    after: TargetPublic | None = None,
) -> None:
    resource = AuditResource.NOTIFICATION_TARGET
    audited(services, token, action, resource, target_id, before=before, after=after)


@router.delete(
    "/{target_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_MANAGE,
    responses=answers(NOT_FOUND),
)
def delete_target(services: ServicesDep, token: TokenDep, target_id: TargetId) -> None:
    """Delete a target."""
    current = _target(services, target_id)
    if not services.targets.delete(target_id):
        not_found(f"notification target {target_id}")
    _audit(services, token, AuditAction.DELETE, target_id, before=TargetPublic.from_domain(current))


@router.post("/{target_id}/test", dependencies=_MANAGE, responses=answers(NOT_FOUND))
def send_test_message(services: ServicesDep, target_id: TargetId) -> DeliveryResult:
    """Send the target a test message now, even when it is disabled: ``delivered``, or why
    not (the notifier's answer, the URL redacted)."""
    report = services.targets.test_send(target_id)
    if report is None:
        not_found(f"notification target {target_id}")
    return DeliveryResult(delivered=report.delivered, detail=report.error)
