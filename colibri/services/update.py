"""``colibri update``: recover what was interrupted, check, then hand the results to the one
update pipeline (:class:`colibri.update.pipeline.UpdatePipeline`). Colibri's own container is
the exception: updating it would stop this very process, so a helper from the new image does
it (:class:`colibri.services.self_update.SelfUpdater`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckResult
from colibri.domain.planner import settled_by_check
from colibri.services.check import CheckRequest, CheckService
from colibri.services.self_update import SelfUpdater
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
        self_updater: SelfUpdater | None = None,
    ) -> None:
        self.checker = checker
        self.pipeline = pipeline
        self.recoverer = recoverer
        self.self_updater = self_updater

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
        own = [result for result in report.results if self._is_own(result)]
        rest = [result for result in report.results if result not in own]
        outcomes = self.pipeline.update(rest, options, on_outcome=on_outcome)
        for result in own:
            outcome = self._hand_off(result, options)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
        busy, missing = self._being_updated(report.missing)
        return UpdateReport(
            tuple(sorted([*outcomes, *busy], key=lambda o: o.container)),
            recovered,
            dict(report.excluded),
            missing,
            report.warnings,
        )

    def _is_own(self, result: CheckResult) -> bool:
        """Colibri's own container, to be updated (the pipeline gets everything else)."""
        if self.self_updater is None or result.checked is None:
            return False
        return settled_by_check(result) is None and self.self_updater.is_own(result.checked)

    def _hand_off(self, result: CheckResult, options: UpdateOptions) -> UpdateOutcome:
        assert self.self_updater is not None and result.checked is not None
        assert result.target_ref is not None  # settled_by_check said so
        return self.self_updater.hand_off(result, result.checked, result.target_ref, options)

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
