"""What happened to update runs, one numbered event at a time: the feed of live progress.

Every run writes, in the same transaction as its journal, an :class:`ActivityEvent`: ``started``
when its row is made, ``step`` for each journal step, ``log`` for each log line, ``finished``
with its outcome. Their ``id`` grows across all runs and is never reused, so a client that
lost its connection names the last id it saw and misses nothing (server-sent events'
``Last-Event-ID``), whether it follows one run or every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = ["ActivityEvent", "ActivityKind"]


class ActivityKind(StrEnum):
    """What an event tells."""

    STARTED = "started"
    STEP = "step"
    LOG = "log"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """One thing that happened to run ``run_id`` of ``container`` in ``environment``."""

    id: int
    at: datetime
    kind: ActivityKind
    run_id: str | None
    environment: str
    container: str
    data: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def as_message(self) -> dict[str, Any]:
        """The plain form a stream sends: ``id``, ``event`` (the kind), the run and its
        container, ``at`` (ISO 8601), then the kind's own fields."""
        return {
            **self.data,
            "id": self.id,
            "event": self.kind.value,
            "run_id": self.run_id,
            "environment": self.environment,
            "container": self.container,
            "at": self.at.isoformat(),
        }
