"""``/api/containers`` and ``/api/check``: every container with the status of its last check,
and a check run now.

Reading needs ``containers:read``; checking now needs ``updates:run``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from colibri.api.deps import ServicesDep, require
from colibri.api.errors import not_found
from colibri.api.responses import NOT_FOUND, UPSTREAM, answers
from colibri.api.schemas.common import MAX_ID
from colibri.api.schemas.containers import ContainerPublic
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(tags=["containers"])

EnvironmentFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this environment's (by id).")
]


def _statuses(services: ServicesDep, environment_id: int | None) -> list[ContainerPublic]:
    if environment_id is not None and services.environments.get(environment_id) is None:
        not_found(f"environment {environment_id}")
    statuses = services.containers.list_statuses(environment_id)
    return [ContainerPublic.from_domain(status) for status in statuses]


@router.get(
    "/api/containers",
    dependencies=[require(Permission.CONTAINERS_READ)],
    responses=answers(NOT_FOUND),
)
def list_containers(
    services: ServicesDep, environment_id: EnvironmentFilter = None
) -> list[ContainerPublic]:
    """Every container as last checked, by environment and name (no registry is asked)."""
    return _statuses(services, environment_id)


@router.post(
    "/api/check",
    dependencies=[require(Permission.UPDATES_RUN)],
    responses=answers(NOT_FOUND, UPSTREAM),
)
def check_now(
    services: ServicesDep, environment_id: EnvironmentFilter = None
) -> list[ContainerPublic]:
    """Check the environment's containers now (every environment's without one) and answer
    with their new statuses; nothing is updated."""
    if environment_id is not None and services.environments.get(environment_id) is None:
        not_found(f"environment {environment_id}")
    services.containers.check_now(environment_id)
    return _statuses(services, environment_id)
