"""``/api/environments``: the Docker hosts Colibri manages.

Reading needs ``environments:read``; creating, changing and deleting ``environments:manage``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from colibri.api.deps import ServicesDep, require
from colibri.api.errors import not_found
from colibri.api.responses import CONFLICT, NOT_FOUND, UNREADABLE, answers
from colibri.api.schemas.common import MAX_ID
from colibri.api.schemas.environments import (
    EnvironmentBase,
    EnvironmentCreate,
    EnvironmentPublic,
    EnvironmentUpdate,
)
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
    services: ServicesDep, body: EnvironmentCreate, response: Response
) -> EnvironmentPublic:
    """Add an environment; 409 if its name is taken."""
    created = services.environments.create(body.to_domain())
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return EnvironmentPublic.from_domain(created)


@router.get("/{environment_id}", dependencies=_READ, responses=answers(NOT_FOUND))
def get_environment(services: ServicesDep, environment_id: EnvironmentId) -> EnvironmentPublic:
    """One environment."""
    return EnvironmentPublic.from_domain(_environment(services, environment_id))


@router.put(
    "/{environment_id}", dependencies=_MANAGE, responses=answers(NOT_FOUND, CONFLICT, UNREADABLE)
)
def replace_environment(
    services: ServicesDep, environment_id: EnvironmentId, body: EnvironmentBase
) -> EnvironmentPublic:
    """Replace name, endpoint and labels."""
    return _save(services, environment_id, body.to_domain())


@router.patch(
    "/{environment_id}", dependencies=_MANAGE, responses=answers(NOT_FOUND, CONFLICT, UNREADABLE)
)
def update_environment(
    services: ServicesDep, environment_id: EnvironmentId, body: EnvironmentUpdate
) -> EnvironmentPublic:
    """Change some fields; the others keep their value."""
    current = _environment(services, environment_id)
    return _save(services, environment_id, body.applied_to(current))


def _save(services: ServicesDep, environment_id: int, new: NewEnvironment) -> EnvironmentPublic:
    saved = services.environments.update(environment_id, new)
    if saved is None:
        not_found(f"environment {environment_id}")
    return EnvironmentPublic.from_domain(saved)


@router.delete(
    "/{environment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_MANAGE,
    responses=answers(NOT_FOUND, CONFLICT),
)
def delete_environment(services: ServicesDep, environment_id: EnvironmentId) -> None:
    """Delete an environment; 409 while auto-update settings use it."""
    if not services.environments.delete(environment_id):
        not_found(f"environment {environment_id}")
