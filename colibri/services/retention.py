"""Keep ``colibri serve``'s records bounded: the rules are :mod:`colibri.domain.retention`'s,
this use case applies them to the store (at start and after each periodic check). The audit
trail of API changes is kept as long as the run history."""

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
    audit_entries: int = 0


class RetentionService:
    def __init__(
        self,
        runs: RunHistory,
        notification_log: ForgetsBefore,
        clock: Clock,
        retention: Retention | None = None,
        audit: ForgetsBefore | None = None,
    ) -> None:
        self.audit = audit
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
            audit = 0 if self.audit is None else self.audit.forget_before(cutoffs.runs_before)
        except ColibriError as exc:
            log.warning("old records could not be pruned: %s", exc)
            return Pruned()
        if keys or runs or audit:
            log.info("pruned %d notification keys, %d runs, %d audit entries", keys, runs, audit)
        return Pruned(keys, runs, audit)
