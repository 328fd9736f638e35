"""``/api/environments``: the Docker hosts Colibri manages.

Reading needs ``environments:read``; creating, changing and deleting ``environments:manage``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from colibri.api.audit import audited
from colibri.api.deps import ServicesDep, TokenDep, require
from colibri.api.errors import not_found
from colibri.api.responses import CONFLICT, NOT_FOUND, UNREADABLE, answers
from colibri.api.schemas.common import MAX_ID
from colibri.api.schemas.environments import (
    EnvironmentBase,
    EnvironmentCreate,
    EnvironmentPublic,
    EnvironmentUpdate,
)
from colibri.domain.audit import AuditAction, AuditResource
from colibri.domain.environments import Environment, NewEnvironment
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(prefix="/api/environments", tags=["environments"])

EnvironmentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The environment's id.")]
_READ = [require(Permission.ENVIRONMENTS_READ)]
_MANAGE = [require(Permission.ENVIRONMENTS_MANAGE)]


def _environment(services: ServicesDep, environment_id: int) -> Environment:
    environment = services.environments.get(environment_id)
    if environment is None:
        not_found(f"environment {environment_id}")
    return environment


@router.get("", dependencies=_READ, responses=answers())
def list_environments(services: ServicesDep) -> list[EnvironmentPublic]:
    """Every environment, by name."""
    return [EnvironmentPublic.from_domain(env) for env in services.environments.list()]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=_MANAGE,
    responses=answers(CONFLICT, UNREADABLE),
)
def create_environment(
    services: ServicesDep, token: TokenDep, body: EnvironmentCreate, response: Response
) -> EnvironmentPublic:
    """Add an environment; 409 if its name is taken."""
    created = EnvironmentPublic.from_domain(services.environments.create(body.to_domain()))
    _audit(services, token, AuditAction.CREATE, created.id, after=created)
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return created


@router.get("/{environment_id}", dependencies=_READ, responses=answers(NOT_FOUND))
def get_environment(services: ServicesDep, environment_id: EnvironmentId) -> EnvironmentPublic:
    """One environment."""
    return EnvironmentPublic.from_domain(_environment(services, environment_id))


@router.put(
    "/{environment_id}", dependencies=_MANAGE, responses=answers(NOT_FOUND, CONFLICT, UNREADABLE)
)
def replace_environment(
    services: ServicesDep, token: TokenDep, environment_id: EnvironmentId, body: EnvironmentBase
) -> EnvironmentPublic:
    """Replace name, endpoint and labels."""
    current = _environment(services, environment_id)
    return _save(services, token, current, body.to_domain())


@router.patch(
    "/{environment_id}", dependencies=_MANAGE, responses=answers(NOT_FOUND, CONFLICT, UNREADABLE)
)
def update_environment(
    services: ServicesDep, token: TokenDep, environment_id: EnvironmentId, body: EnvironmentUpdate
) -> EnvironmentPublic:
    """Change some fields; the others keep their value."""
    current = _environment(services, environment_id)
    return _save(services, token, current, body.applied_to(current))


def _save(
    services: ServicesDep, token: TokenDep, current: Environment, new: NewEnvironment
) -> EnvironmentPublic:
    saved = services.environments.update(current.id, new)
    if saved is None:
        not_found(f"environment {current.id}")
    after = EnvironmentPublic.from_domain(saved)
    before = EnvironmentPublic.from_domain(current)
    _audit(services, token, AuditAction.UPDATE, current.id, before=before, after=after)
    return after


def _audit(
    services: ServicesDep,
    token: TokenDep,
    action: AuditAction,
    environment_id: int,
    *,
    before: EnvironmentPublic | None = None,
    after: EnvironmentPublic | None = None,
) -> None:
    resource = AuditResource.ENVIRONMENT
    audited(services, token, action, resource, environment_id, before=before, after=after)


@router.delete(
    "/{environment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_MANAGE,
    responses=answers(NOT_FOUND, CONFLICT),
)
def delete_environment(
    services: ServicesDep, token: TokenDep, environment_id: EnvironmentId
) -> None:
    """Delete an environment; 409 while auto-update settings use it."""
    current = _environment(services, environment_id)
    if not services.environments.delete(environment_id):
        not_found(f"environment {environment_id}")
    before = EnvironmentPublic.from_domain(current)
    _audit(services, token, AuditAction.DELETE, environment_id, before=before)
