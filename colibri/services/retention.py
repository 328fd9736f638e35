"""Keep ``colibri serve``'s records bounded: the rules are :mod:`colibri.domain.retention`'s,
this use case applies them to the store (at start and after each periodic check)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from colibri.domain.ports import Clock
from colibri.domain.retention import Retention
from colibri.errors import ColibriError
from colibri.services.ports import ForgetsBefore, RunHistory

__all__ = ["Pruned", "RetentionService"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many records one pass dropped."""

    notification_keys: int = 0
    runs: int = 0


class RetentionService:
    def __init__(
        self,
        runs: RunHistory,
        notification_log: ForgetsBefore,
        clock: Clock,
        retention: Retention | None = None,
    ) -> None:
        self.runs = runs
        self.notification_log = notification_log
        self.clock = clock
        self.retention = retention or Retention()

    def prune(self) -> Pruned:
        """Drop what the retention no longer keeps. A store error is logged, never raised: the
        next pass tries again, and nothing else waits for this one."""
        cutoffs = self.retention.cutoffs(self.clock.now())
        try:
            keys = self.notification_log.forget_before(cutoffs.notifications_before)
            runs = self.runs.forget_runs(cutoffs.runs_before, cutoffs.runs_per_container)
        except ColibriError as exc:
            log.warning("old records could not be pruned: %s", exc)
            return Pruned()
        if keys or runs:
            log.info("pruned %d notification keys and %d runs", keys, runs)
        return Pruned(keys, runs)
