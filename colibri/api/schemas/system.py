"""Small answers: a cron expression explained, and the service's health."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from colibri.api.schemas.common import ResponseModel

__all__ = ["Answer", "CronDescription", "Health"]

Answer = Literal["ok", "unavailable"]


class CronDescription(ResponseModel):
    """What a cron expression means, and when it would run next."""

    expression: str
    description: str = Field(description="In words, as `cron-descriptor` says it.")
    next_runs: list[datetime] = Field(description="The next five run times, in UTC.")


class Health(ResponseModel):
    """Whether Colibri and what it needs answer: ``ok`` only if every part does."""

    status: Answer
    checks: dict[str, Answer] = Field(
        description="Each part (`store`, `daemon`) and whether it answers."
    )
