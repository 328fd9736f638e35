"""``/api/skips``: skipped versions and snoozes of containers' updates.

Reading needs ``containers:read``; skipping and clearing ``updates:run`` (saying no to an
update is a decision about updates, as running one is).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from colibri.api.deps import ServicesDep, require
from colibri.api.errors import not_found
from colibri.api.responses import NOT_FOUND, UNREADABLE, answers
from colibri.api.schemas.common import MAX_ID, ContainerName
from colibri.api.schemas.skips import SkipCreate, SkipPublic, SkipsCleared
from colibri.domain.environments import Environment
from colibri.domain.model import CheckStatus
from colibri.domain.tokens import Permission
from colibri.services.skips import SkipRequest

__all__ = ["router"]

router = APIRouter(prefix="/api/skips", tags=["skips"])

SkipId = Annotated[int, Path(ge=1, le=MAX_ID, description="The skip's id.")]
EnvironmentQuery = Annotated[int, Query(ge=1, le=MAX_ID, description="The environment (by id).")]
EnvironmentFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this environment's (by id).")
]
ContainerFilter = Annotated[ContainerName | None, Query(description="Only this container's.")]
_READ = [require(Permission.CONTAINERS_READ)]
_WRITE = [require(Permission.UPDATES_RUN)]
_OFFERING = frozenset({CheckStatus.UPDATE_AVAILABLE, CheckStatus.SKIPPED})


def _environment(services: ServicesDep, environment_id: int) -> Environment:
    found = services.environments.get(environment_id)
    if found is None:
        not_found(f"environment {environment_id}")
    return found


@router.get("", dependencies=_READ, responses=answers(NOT_FOUND))
def list_skips(
    services: ServicesDep,
    environment_id: EnvironmentFilter = None,
    container: ContainerFilter = None,
) -> list[SkipPublic]:
    """The skips and snoozes in force, oldest first."""
    name = None if environment_id is None else _environment(services, environment_id).name
    found = services.skips.list_skips(name, container.lstrip("/") if container else None)
    return [SkipPublic.from_domain(skip) for skip in found]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=_WRITE,
    responses=answers(NOT_FOUND, UNREADABLE),
)
def create_skip(services: ServicesDep, body: SkipCreate, response: Response) -> SkipPublic:
    """Skip a version, or snooze a container's updates (see the body's fields)."""
    environment = _environment(services, body.environment_id)
    name = body.container.lstrip("/")
    request = SkipRequest(environment.name, name, body.version, body.until, body.reason)
    created = services.skips.skip(request, _offered(services, environment.id, name))
    response.headers["Location"] = f"{router.prefix}/{created.id}"
    return SkipPublic.from_domain(created)


def _offered(services: ServicesDep, environment_id: int, name: str) -> str | None:
    """The digest the container's last check offered, if it offered one."""
    for found in services.containers.list_statuses(environment_id):
        if found.container_name == name and found.status in _OFFERING:
            return found.remote_digest
    return None


@router.delete(
    "/{skip_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=_WRITE,
    responses=answers(NOT_FOUND),
)
def delete_skip(services: ServicesDep, skip_id: SkipId) -> Response:
    """Remove one skip."""
    if not services.skips.delete(skip_id):
        not_found(f"skip {skip_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("", dependencies=_WRITE, responses=answers(NOT_FOUND))
def clear_skips(
    services: ServicesDep,
    environment_id: EnvironmentQuery,
    container: Annotated[ContainerName, Query(description="The container.")],
) -> SkipsCleared:
    """Clear every skip and snooze of a container: its updates are offered again."""
    environment = _environment(services, environment_id)
    name = container.lstrip("/")
    return SkipsCleared(container=name, cleared=services.skips.unskip(environment.name, name))
