"""``/api/containers`` and ``/api/check``: every container with the status of its last check,
and a check run now.

Reading needs ``containers:read``; checking now needs ``updates:run``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from colibri.api.deps import ServicesDep, require
from colibri.api.errors import not_found
from colibri.api.responses import NOT_FOUND, answers
from colibri.api.schemas.common import MAX_ID
from colibri.api.schemas.containers import CheckSummaryPublic, ContainerPublic
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(tags=["containers"])

EnvironmentFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this environment's (by id).")
]


@router.get(
    "/api/containers",
    dependencies=[require(Permission.CONTAINERS_READ)],
    responses=answers(NOT_FOUND),
)
def list_containers(
    services: ServicesDep, environment_id: EnvironmentFilter = None
) -> list[ContainerPublic]:
    """Every container as last checked, by environment and name (no registry is asked)."""
    if environment_id is not None and services.environments.get(environment_id) is None:
        not_found(f"environment {environment_id}")
    statuses = services.containers.list_statuses(environment_id)
    return [ContainerPublic.from_domain(status) for status in statuses]


@router.post(
    "/api/check",
    dependencies=[require(Permission.UPDATES_RUN)],
    responses=answers(NOT_FOUND),
)
def check_now(
    services: ServicesDep, environment_id: EnvironmentFilter = None
) -> CheckSummaryPublic:
    """Check the environment's running containers now (every environment's without one) and
    record their statuses; nothing is updated. An environment whose daemon does not answer
    is reported with its ``error``; the others are checked all the same."""
    summary = services.containers.check_now(environment_id)
    if summary is None:
        not_found(f"environment {environment_id}")
    return CheckSummaryPublic.from_domain(summary)
