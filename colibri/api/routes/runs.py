"""``/api/runs``: the history of updates, one run in detail, and a run's live progress;
``/api/events``: every run's progress, for dashboards.

Every route needs ``runs:read``; a run's raw step data (``?raw=true``, secrets unredacted)
needs ``runs:raw`` too. Both streams number their events (``id:``) and resume after
the one a reconnecting client names in ``Last-Event-ID``.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse

from colibri.api.deps import ServicesDep, TokenDep, require
from colibri.api.errors import not_found
from colibri.api.responses import NOT_FOUND, TOO_MANY, answers
from colibri.api.schemas.common import MAX_ID, ContainerName, EnvironmentName, RunId
from colibri.api.schemas.runs import RunDetail, RunPublic
from colibri.api.sse import MEDIA_TYPE, EventStream, StreamSlots, all_events, run_events
from colibri.domain.journal import RunRecord
from colibri.domain.tokens import Permission

__all__ = ["events_router", "router"]

router = APIRouter(prefix="/api/runs", tags=["runs"], dependencies=[require(Permission.RUNS_READ)])
events_router = APIRouter(tags=["runs"], dependencies=[require(Permission.RUNS_READ)])

RunIdPath = Annotated[RunId, Path(description="The run's id.")]
LastEventId = Annotated[
    int | None,
    Header(
        alias="Last-Event-ID",
        ge=0,
        le=MAX_ID,
        description="The id of the last event received: the stream resumes after it.",
    ),
]


def _run(services: ServicesDep, run_id: str) -> RunRecord:
    run = services.runs.get_run(run_id)
    if run is None:
        not_found(f"run {run_id}")
    return run


@router.get("", responses=answers())
def list_runs(
    services: ServicesDep,
    container: Annotated[ContainerName | None, Query(description="Only this container's.")] = None,
    environment: Annotated[
        EnvironmentName | None, Query(description="Only this environment's (by name).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[RunPublic]:
    """Runs, newest first, a page at a time."""
    runs = services.runs.list_runs(
        container_name=None if container is None else container.removeprefix("/"),
        environment=environment,
        limit=limit,
        offset=offset,
    )
    return [RunPublic.from_domain(run) for run in runs]


@router.get("/{run_id}", responses=answers(NOT_FOUND))
def get_run(
    services: ServicesDep,
    token: TokenDep,
    run_id: RunIdPath,
    data: Annotated[
        bool,
        Query(
            description="Include each step's data (the old container's inspect...), with "
            "environment values and other secrets redacted."
        ),
    ] = False,
    raw: Annotated[
        bool,
        Query(description="With `data`: unredacted, secrets included (needs `runs:raw`)."),
    ] = False,
) -> RunDetail:
    """One run with its steps and log lines."""
    if raw and not token.allows(Permission.RUNS_RAW):
        raise HTTPException(
            403, detail=f"this API token lacks the permission {Permission.RUNS_RAW}"
        )
    return RunDetail.from_run(_run(services, run_id), with_data=data or raw, raw=raw)


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "Server-sent events, each with its `id`: `started`, `step` and "
            "`log` as they are written, then `finished` with the run's outcome; the stream "
            "then closes.",
        },
        **answers(NOT_FOUND, TOO_MANY),
    },
)
def follow_run(
    request: Request,
    services: ServicesDep,
    token: TokenDep,
    run_id: RunIdPath,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """The run's live progress as server-sent events, until it has finished (after the
    event ``Last-Event-ID`` names, when given); 429 when the token already holds its share
    of open streams."""
    _run(services, run_id)
    release = _slots(request).take(token.id)
    return EventStream(run_events(services.runs, run_id, last_event_id or 0), release)


@events_router.get(
    "/api/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "Server-sent events of every run, each with its `id`, as "
            "`/api/runs/{run_id}/events` gives them; a comment line when quiet. Never ends.",
        },
        **answers(TOO_MANY),
    },
)
def follow_everything(
    request: Request, services: ServicesDep, token: TokenDep, last_event_id: LastEventId = None
) -> StreamingResponse:
    """Every run's progress as server-sent events, from now on (or after the event
    ``Last-Event-ID`` names); 429 when the token already holds its share of open streams."""
    release = _slots(request).take(token.id)
    return EventStream(all_events(services.runs, last_event_id), release)


def _slots(request: Request) -> StreamSlots:
    return cast(StreamSlots, request.app.state.stream_slots)
