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


@router.get("/describe", responses=answers())
def describe_cron(
    services: ServicesDep, token: AuthenticatedDep, expr: Expression
) -> CronDescription:
    """Say in words what ``expr`` means and list its next five run times (UTC); an invalid
    expression is a 422 naming ``expr`` and the cron field at fault."""
    try:
        description, next_runs = services.schedules.describe_cron(expr)
    except Invalid as exc:
        raise field_error(422, ("query", "expr"), exc.reason, "value_error") from None
    return CronDescription(
        expression=" ".join(expr.split()), description=description, next_runs=list(next_runs)
    )
