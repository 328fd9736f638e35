"""``/api/runs``: the history of updates, one run in detail, and a run's live progress.

Every route needs ``runs:read``.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from colibri.api.deps import ServicesDep, TokenDep, require
from colibri.api.errors import not_found
from colibri.api.responses import NOT_FOUND, TOO_MANY, answers
from colibri.api.schemas.common import MAX_ID, ContainerName, EnvironmentName, RunId
from colibri.api.schemas.runs import RunDetail, RunPublic
from colibri.api.sse import MEDIA_TYPE, EventStream, StreamSlots, run_events
from colibri.domain.journal import RunRecord
from colibri.domain.tokens import Permission

__all__ = ["router"]

router = APIRouter(prefix="/api/runs", tags=["runs"], dependencies=[require(Permission.RUNS_READ)])

RunIdPath = Annotated[RunId, Path(description="The run's id.")]


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
    run_id: RunIdPath,
    data: Annotated[
        bool, Query(description="Include each step's data (the old container's inspect...).")
    ] = False,
) -> RunDetail:
    """One run with its steps and log lines."""
    return RunDetail.from_run(_run(services, run_id), with_data=data)


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
            "description": "Server-sent events: `step` and `log` as they are written, then "
            "`finished` with the run's outcome; the stream then closes.",
        },
        **answers(NOT_FOUND, TOO_MANY),
    },
)
def follow_run(
    request: Request, services: ServicesDep, token: TokenDep, run_id: RunIdPath
) -> StreamingResponse:
    """The run's live progress as server-sent events, until it has finished; 429 when the
    token already holds its share of open streams."""
    _run(services, run_id)
    slots = cast(StreamSlots, request.app.state.stream_slots)
    release = slots.take(token.id)
    return EventStream(run_events(services.runs, run_id), release)
