"""Update runs as the API shows them: a summary in lists, steps and logs in detail.

A step's ``data`` holds what recovery needs, the old container's full ``docker inspect``
included, so it is only sent when asked for (``?data=true``), and then redacted: environment
values and other secrets are replaced by ``<redacted>`` (``colibri.domain.redaction``). The
raw data needs ``?raw=true`` and the permission ``runs:raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from colibri.api.schemas.common import ResponseModel
from colibri.domain.journal import RunRecord, RunStatus, Step
from colibri.domain.redaction import redact_document

__all__ = ["LogPublic", "RunDetail", "RunPublic", "StepPublic"]


class RunPublic(ResponseModel):
    """One update of one container: what, when, and how it ended."""

    id: str
    environment: str
    container: str
    container_id: str
    image: str
    status: RunStatus
    trigger: str
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    old_image_id: str | None
    new_image_id: str | None
    old_digest: str | None
    new_digest: str | None
    reason: str
    downtime_ms: int | None

    @classmethod
    def from_domain(cls, run: RunRecord) -> RunPublic:
        """The API's form of the domain's value."""
        return cls.model_validate(_summary(run))


class StepPublic(ResponseModel):
    """One journal row, written before the step's effect."""

    seq: int
    step: Step
    at: datetime
    data: dict[str, Any] | None = None


class LogPublic(ResponseModel):
    """One log line of the run."""

    at: datetime
    level: str
    message: str


class RunDetail(RunPublic):
    """A run with its steps (their data only when asked for) and log lines."""

    steps: list[StepPublic]
    logs: list[LogPublic]

    @classmethod
    def from_run(cls, run: RunRecord, *, with_data: bool, raw: bool = False) -> RunDetail:
        """The API's form of a run, its steps' data only ``with_data``, redacted unless
        ``raw``."""
        steps = [
            StepPublic(
                seq=step.seq,
                step=step.step,
                at=step.at,
                data=None if not with_data else _data(step.data, raw=raw),
            )
            for step in run.steps
        ]
        logs = [LogPublic(at=at, level=level, message=message) for at, level, message in run.logs]
        return cls(**_summary(run), steps=steps, logs=logs)


def _data(data: Mapping[str, Any], *, raw: bool) -> dict[str, Any]:
    return dict(data) if raw else dict(redact_document(data))


def _summary(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "environment": run.environment,
        "container": run.container_name,
        "container_id": run.container_id,
        "image": run.image,
        "status": run.status,
        "trigger": run.trigger,
        "dry_run": run.dry_run,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "old_image_id": run.old_image_id,
        "new_image_id": run.new_image_id,
        "old_digest": run.old_digest,
        "new_digest": run.new_digest,
        "reason": run.reason,
        "downtime_ms": run.downtime_ms,
    }
