"""``/api/cron/describe``: what a cron expression means and when it would run, for the
settings form. Any valid token may ask: the answer reveals nothing stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from colibri.api.deps import AuthenticatedDep, ServicesDep
from colibri.api.errors import field_error
from colibri.api.responses import answers
from colibri.api.schemas.system import CronDescription
from colibri.domain.invalid import Invalid

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
#: Where each field the schedules service may name is in this request.
_LOC = {"cron": ("query", "expr"), "timezone": ("query", "timezone")}


@router.get("/describe", responses=answers())
def describe_cron(
    services: ServicesDep, token: AuthenticatedDep, expr: Expression, timezone: Timezone = "UTC"
) -> CronDescription:
    """Say in words what ``expr`` means and list its next five run times (in UTC, the
    expression read in ``timezone``); an invalid expression is a 422 naming ``expr`` and
    saying which cron field is wrong and why."""
    try:
        description, next_runs = services.schedules.describe_cron(expr, timezone)
    except Invalid as exc:
        loc = _LOC.get(exc.field, ("query", exc.field))
        raise field_error(422, loc, exc.reason, "value_error") from None
    return CronDescription(
        expression=" ".join(expr.split()), description=description, next_runs=list(next_runs)
    )
