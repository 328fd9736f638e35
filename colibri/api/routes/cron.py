"""``/api/cron/describe``: what a cron expression means and when it would run, for the
settings form. Any valid token may ask: the answer reveals nothing stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from colibri.api.cron_hints import cron_refusals
from colibri.api.deps import AuthenticatedDep, ServicesDep
from colibri.api.responses import answers
from colibri.api.schemas.system import CronDescription

__all__ = ["router"]

router = APIRouter(prefix="/api/cron", tags=["schedules"])

Expression = Annotated[
    str,
    Query(
        min_length=1,
        max_length=255,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="Five fields: minute hour day-of-month month day-of-week.",
        examples=["0 4 * * 1-5"],
    ),
]
Timezone = Annotated[
    str,
    Query(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_+/-]+$",
        description="The IANA time zone the expression is read in.",
    ),
]


@router.get("/describe", responses=answers())
def describe_cron(
    services: ServicesDep, token: AuthenticatedDep, expr: Expression, timezone: Timezone = "UTC"
) -> CronDescription:
    """Say in words what ``expr`` means and list its next five run times (in UTC, the
    expression read in ``timezone``); an invalid expression is a 422 naming ``expr``, saying
    which cron field is wrong and why, and offering a valid equivalent when there is one
    (``@daily``, a leading seconds field)."""
    with cron_refusals(services.schedules, ("query", "expr"), expr, timezone):
        description, next_runs = services.schedules.describe_cron(expr, timezone)
    return CronDescription(
        expression=" ".join(expr.split()), description=description, next_runs=list(next_runs)
    )
