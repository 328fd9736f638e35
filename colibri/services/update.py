"""``colibri update``: recover what was interrupted, check, then hand the results to the one
update pipeline (:class:`colibri.update.pipeline.UpdatePipeline`), which also hands Colibri's
own container to the self-update helper when it is given one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from colibri.domain.journal import RunStatus
from colibri.services.check import CheckRequest, CheckService
from colibri.update.model import UpdateOptions, UpdateOutcome
from colibri.update.pipeline import UpdatePipeline
from colibri.update.recovery import Recoverer, RecoveryOutcome

__all__ = ["UpdateReport", "UpdateService"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpdateReport:
    outcomes: tuple[UpdateOutcome, ...]
    recovered: tuple[RecoveryOutcome, ...] = ()
    excluded: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


class UpdateService:
    def __init__(
        self,
        checker: CheckService,
        pipeline: UpdatePipeline,
        recoverer: Recoverer,
    ) -> None:
        self.checker = checker
        self.pipeline = pipeline
        self.recoverer = recoverer

    def recover(self) -> list[RecoveryOutcome]:
        return self.recoverer.recover_all()

    def update(
        self,
        request: CheckRequest,
        options: UpdateOptions,
        on_outcome: Callable[[UpdateOutcome], None] | None = None,
    ) -> UpdateReport:
        """Update what ``request`` selects. A dry run recovers nothing and changes nothing."""
        recovered = () if options.dry_run else tuple(self.recover())
        report = self.checker.check(request)
        outcomes = self.pipeline.update(report.results, options, on_outcome=on_outcome)
        busy, missing = self._being_updated(report.missing)
        return UpdateReport(
            tuple(sorted([*outcomes, *busy], key=lambda o: o.container)),
            recovered,
            dict(report.excluded),
            missing,
            report.warnings,
        )

    def _being_updated(self, names: Sequence[str]) -> tuple[list[UpdateOutcome], tuple[str, ...]]:
        """Of the names not found, those another update is swapping right now (its lock is
        held, and the name is free only between its two renames): ``skipped``, not missing."""
        busy, missing = [], []
        for name in names:
            holder = self.pipeline.updating(name)
            if holder is None:
                missing.append(name)
                continue
            reason = f"being updated by run {holder.run_id} ({holder.hostname}, pid {holder.pid})"
            busy.append(UpdateOutcome(name, RunStatus.SKIPPED, reason))
        return busy, tuple(missing)
