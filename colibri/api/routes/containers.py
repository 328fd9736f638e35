"""``/api/containers`` and ``/api/check``: every container with the status of its last check,
and a check run now; ``/api/bad-digests``: the images not to try again, and clearing them.

Reading needs ``containers:read``; checking now and clearing a record need ``updates:run``.
Containers are named by environment name and container name
(``/api/containers/local/web/...``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from colibri.api.audit import audited
from colibri.api.deps import ServicesDep, TokenDep, require
from colibri.api.errors import not_found
from colibri.api.responses import NOT_FOUND, UNREADABLE, answers
from colibri.api.schemas.bad_digests import BadDigestPublic, BadDigestRecords, Cleared
from colibri.api.schemas.common import MAX_ID, ContainerName, EnvironmentName
from colibri.api.schemas.containers import (
    BatchStarted,
    CheckSummaryPublic,
    ContainerPublic,
    UpdateRequestBody,
    UpdatesRequest,
)
from colibri.domain.audit import AuditAction, AuditResource
from colibri.domain.environments import Environment
from colibri.domain.service_plan import Mode, effective
from colibri.domain.settings import AutoUpdateSetting
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(tags=["containers"])

EnvironmentFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only this environment's (by id).")
]
EnvironmentPath = Annotated[EnvironmentName, Path(description="The environment's name.")]
NamePath = Annotated[ContainerName, Path(description="The container's name.")]
Digest = Annotated[
    str | None,
    Query(pattern=r"^[a-z0-9]+:[a-f0-9]{32,128}$", description="Only this digest's record."),
]


def _environment(services: ServicesDep, name: str) -> Environment:
    environment = services.environments.find(name)
    if environment is None:
        not_found(f"environment {name}")
    return environment


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
    slots = {
        (s.environment_id, s.container_name): s for s in services.plans.list_slots(environment_id)
    }
    settings = {
        (s.environment_id, s.container_name): s for s in _all_settings(services, environment_id)
    }
    return [
        ContainerPublic.from_domain(status, effective(slots.get(key), settings.get(key)))
        for status in statuses
        for key in [(status.environment_id, status.container_name)]
    ]


def _all_settings(services: ServicesDep, environment_id: int | None) -> list[AutoUpdateSetting]:
    found: list[AutoUpdateSetting] = []
    while True:
        page = services.schedules.list(environment_id, 500, len(found))
        found.extend(page)
        if len(page) < 500:
            return found


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


@router.get(
    "/api/bad-digests",
    dependencies=[require(Permission.CONTAINERS_READ)],
    responses=answers(NOT_FOUND),
)
def list_bad_digests(
    services: ServicesDep, environment_id: EnvironmentFilter = None
) -> list[BadDigestPublic]:
    """The images whose update failed or was rolled back, per container: skipped until a
    newer image appears or the record is cleared."""
    if environment_id is not None and services.environments.get(environment_id) is None:
        not_found(f"environment {environment_id}")
    return [BadDigestPublic.from_domain(bad) for bad in services.bad_digests.list(environment_id)]


@router.delete(
    "/api/containers/{environment}/{name}/bad-digests",
    dependencies=[require(Permission.UPDATES_RUN)],
    responses=answers(NOT_FOUND),
)
def clear_bad_digests(
    services: ServicesDep,
    token: TokenDep,
    environment: EnvironmentPath,
    name: NamePath,
    digest: Digest = None,
) -> Cleared:
    """Forget the container's bad digests (only ``digest``'s when given): its next run tries
    that image again."""
    env = _environment(services, environment)
    container = name.removeprefix("/")
    records = services.bad_digests.list(env.id, container)
    cleared = services.bad_digests.clear(env.id, container, digest)
    if cleared:
        gone = [BadDigestPublic.from_domain(b) for b in records if digest in (None, b.digest)]
        audited(
            services,
            token,
            AuditAction.CLEAR,
            AuditResource.BAD_DIGEST,
            f"{environment}/{container}",
            before=BadDigestRecords(records=gone),
        )
    return Cleared(cleared=cleared)


@router.post(
    "/api/containers/{environment}/{name}/update",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[require(Permission.UPDATES_RUN)],
    responses=answers(NOT_FOUND, UNREADABLE),
)
def update_container(
    services: ServicesDep,
    environment: EnvironmentPath,
    name: NamePath,
    body: UpdateRequestBody | None = None,
) -> BatchStarted:
    """Update one container now (``dry_run``: only say what would happen), in the background,
    through the update pipeline: answers at once with the run's id."""
    env = _environment(services, environment)
    dry_run = body.dry_run if body is not None else False
    started = services.runs.start_batch(env, [name], dry_run=dry_run)
    return BatchStarted(runs={f"{env.name}/{key}": run for key, run in started.items()})


@router.post(
    "/api/updates",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[require(Permission.UPDATES_RUN)],
    responses=answers(NOT_FOUND, UNREADABLE),
)
def update_containers(services: ServicesDep, body: UpdatesRequest) -> BatchStarted:
    """Update a selection now, one batch per environment through the update pipeline; with
    ``all``, every opted-in container the service updates (monitor-only ones are left out)."""
    wanted: dict[str, list[str]] = {}
    for ref in body.containers:
        wanted.setdefault(ref.environment, []).append(ref.name.removeprefix("/"))
    if body.all:
        names = {env.id: env.name for env in services.environments.list()}
        for slot in services.plans.list_slots():
            if slot.plan.mode is Mode.UPDATE and slot.environment_id in names:
                wanted.setdefault(names[slot.environment_id], []).append(slot.container_name)
    runs: dict[str, str] = {}
    for env_name, container_names in wanted.items():
        env = _environment(services, env_name)
        started = services.runs.start_batch(env, container_names, dry_run=body.dry_run)
        runs.update({f"{env.name}/{key}": run for key, run in started.items()})
    return BatchStarted(runs=runs)
