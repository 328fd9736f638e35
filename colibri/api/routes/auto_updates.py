"""``/api/auto-updates``: per-container auto-update settings, and running one now.

Bodies and answers use the settings form's names (``container_name``, ``schedule_type``,
``cron_expression``, ``vulnerability_criteria``; ``cron`` and ``criteria`` are accepted too).
An invalid cron expression is a 422 naming ``cron_expression`` and why; written for another
cron (``@daily``, a leading seconds field), it also offers the valid equivalent and its next
runs. A setting created without ``environment_id`` is in the ``local`` environment.

Reading needs ``schedules:read``; creating, changing and deleting need ``schedules:create``,
``schedules:update`` and ``schedules:delete``; running one now needs ``updates:run``. A
setting that is enabled runs updates on its schedule, so creating or saving one enabled also
needs ``updates:run`` (a 403 naming it): without it a token may only keep settings disabled.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from fastapi.responses import JSONResponse

from colibri.api.audit import audited
from colibri.api.cron_hints import cron_refusals
from colibri.api.deps import ServicesDep, TokenDep, require
from colibri.api.errors import not_found
from colibri.api.responses import CONFLICT, NOT_FOUND, UNREADABLE, answers
from colibri.api.schemas.auto_updates import (
    AutoUpdateBase,
    AutoUpdateCreate,
    AutoUpdatePublic,
    AutoUpdateUpdate,
    RunStarted,
)
from colibri.api.schemas.common import MAX_ID, Id
from colibri.api.schemas.runs import RunDetail
from colibri.domain.audit import AuditAction, AuditResource
from colibri.domain.environments import LOCAL_ENVIRONMENT
from colibri.domain.invalid import Invalid
from colibri.domain.settings import AutoUpdateConfig, AutoUpdateSetting, NewAutoUpdate
from colibri.domain.tokens import ApiToken, Permission

__all__ = ["router"]

router = APIRouter(prefix="/api/auto-updates", tags=["auto-updates"])

SettingId = Annotated[int, Path(ge=1, le=MAX_ID, description="The setting's id.")]
_CRON_LOC = ("body", "cron_expression")


def _local_id(services: ServicesDep) -> int:
    local = services.environments.find(LOCAL_ENVIRONMENT)
    if local is None:
        raise Invalid("environment_id", f"there is no {LOCAL_ENVIRONMENT!r} environment: name one")
    return local.id


def _setting(services: ServicesDep, setting_id: int) -> AutoUpdateSetting:
    setting = services.schedules.get(setting_id)
    if setting is None:
        not_found(f"auto-update setting {setting_id}")
    return setting


@router.get("", dependencies=[require(Permission.SCHEDULES_READ)], responses=answers())
def list_auto_updates(
    services: ServicesDep,
    environment_id: Annotated[Id | None, Query(description="Only this environment's.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[AutoUpdatePublic]:
    """Settings by environment and container name, a page at a time."""
    settings = services.schedules.list(environment_id=environment_id, limit=limit, offset=offset)
    return [AutoUpdatePublic.from_domain(setting) for setting in settings]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[require(Permission.SCHEDULES_CREATE)],
    responses=answers(CONFLICT, UNREADABLE),
)
def create_auto_update(
    services: ServicesDep, token: TokenDep, body: AutoUpdateCreate, response: Response
) -> AutoUpdatePublic:
    """Add the setting of one container (422 naming ``environment_id`` when there is no such
    environment; 409 if the container has one already)."""
    environment_id = body.environment_id or _local_id(services)
    with cron_refusals(services.schedules, _CRON_LOC, body.cron_expression, body.timezone):
        config = _schedulable(token, body.to_config())
        new = NewAutoUpdate(environment_id, body.container_name, config)
        setting = services.schedules.create(new)
    created = AutoUpdatePublic.from_domain(setting)
    _audit(services, token, AuditAction.CREATE, setting.id, after=created)
    response.headers["Location"] = f"{router.prefix}/{setting.id}"
    return created


@router.get(
    "/{setting_id}",
    dependencies=[require(Permission.SCHEDULES_READ)],
    responses=answers(NOT_FOUND),
)
def get_auto_update(services: ServicesDep, setting_id: SettingId) -> AutoUpdatePublic:
    """One setting."""
    return AutoUpdatePublic.from_domain(_setting(services, setting_id))


@router.put(
    "/{setting_id}",
    dependencies=[require(Permission.SCHEDULES_UPDATE)],
    responses=answers(NOT_FOUND, UNREADABLE),
)
def replace_auto_update(
    services: ServicesDep, token: TokenDep, setting_id: SettingId, body: AutoUpdateBase
) -> AutoUpdatePublic:
    """Replace what is chosen for the container (fields left out take their defaults)."""
    current = _setting(services, setting_id)
    with cron_refusals(services.schedules, _CRON_LOC, body.cron_expression, body.timezone):
        return _save(services, token, current, _schedulable(token, body.to_config()))


@router.patch(
    "/{setting_id}",
    dependencies=[require(Permission.SCHEDULES_UPDATE)],
    responses=answers(NOT_FOUND, UNREADABLE),
)
def update_auto_update(
    services: ServicesDep, token: TokenDep, setting_id: SettingId, body: AutoUpdateUpdate
) -> AutoUpdatePublic:
    """Change some fields; the others keep their value."""
    current = _setting(services, setting_id)
    timezone = body.timezone or current.config.schedule.timezone
    with cron_refusals(services.schedules, _CRON_LOC, body.cron_expression, timezone):
        config = body.applied_to(current.config)
        return _save(services, token, current, _schedulable(token, config))


def _schedulable(token: ApiToken, config: AutoUpdateConfig) -> AutoUpdateConfig:
    """``config`` if ``token`` may save it: an enabled setting runs updates, which needs
    ``updates:run`` (403 otherwise)."""
    if config.enabled and not token.allows(Permission.UPDATES_RUN):
        raise HTTPException(
            403,
            detail=f"an enabled setting runs updates: this API token lacks the permission "
            f"{Permission.UPDATES_RUN} (save it with enabled=false, or use a token that has it)",
        )
    return config


def _save(
    services: ServicesDep, token: TokenDep, current: AutoUpdateSetting, config: AutoUpdateConfig
) -> AutoUpdatePublic:
    saved = services.schedules.update(current.id, config)
    if saved is None:
        not_found(f"auto-update setting {current.id}")
    after, before = AutoUpdatePublic.from_domain(saved), AutoUpdatePublic.from_domain(current)
    _audit(services, token, AuditAction.UPDATE, current.id, before=before, after=after)
    return after


def _audit(
    services: ServicesDep,
    token: TokenDep,
    action: AuditAction,
    setting_id: int,
    *,
    before: AutoUpdatePublic | None = None,
    after: AutoUpdatePublic | None = None,
) -> None:
    resource = AuditResource.AUTO_UPDATE
    audited(services, token, action, resource, setting_id, before=before, after=after)


@router.delete(
    "/{setting_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[require(Permission.SCHEDULES_DELETE)],
    responses=answers(NOT_FOUND),
)
def delete_auto_update(services: ServicesDep, token: TokenDep, setting_id: SettingId) -> None:
    """Delete a setting; its runs stay in the history."""
    current = _setting(services, setting_id)
    if not services.schedules.delete(setting_id):
        not_found(f"auto-update setting {setting_id}")
    before = AutoUpdatePublic.from_domain(current)
    _audit(services, token, AuditAction.DELETE, setting_id, before=before)


@router.post(
    "/{setting_id}/run",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[require(Permission.UPDATES_RUN)],
    response_model=RunStarted,
    responses={
        200: {"model": RunDetail, "description": "With `wait=true`: the run, ended."},
        **answers(NOT_FOUND),
    },
)
def run_auto_update(
    services: ServicesDep,
    setting_id: SettingId,
    response: Response,
    wait: Annotated[
        bool,
        Query(description="Answer when the run has ended (200), with its outcome and log."),
    ] = False,
) -> Any:
    """Update the container now, in the background: answers at once (202) with the run's id
    (a run of a container being updated already ends ``skipped``; while a run of this
    setting is still pending, asking again answers with that run's id and queues nothing);
    with ``wait=true``, answers when the run has ended (200) with its outcome, steps and
    log lines."""
    run_id = services.runs.start_now(setting_id)
    if run_id is None:
        not_found(f"auto-update setting {setting_id}")
    location = {"Location": f"/api/runs/{run_id}"}
    if wait:
        run = services.runs.wait(run_id)
        if run is not None:
            body = RunDetail.from_run(run, with_data=False).model_dump(mode="json")
            return JSONResponse(body, status_code=status.HTTP_200_OK, headers=location)
    response.headers.update(location)
    return RunStarted(run_id=run_id)
