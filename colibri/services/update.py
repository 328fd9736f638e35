"""The update use case: recover what was interrupted, check, then update one container after
another, dependencies first."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from colibri.domain.controls import expected_length, update_hold
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.planner import update_order
from colibri.domain.refs import ImageRef, parse_reference
from colibri.errors import BadReference, ConfigError
from colibri.services.check import CheckRequest, CheckService
from colibri.services.self_update import SelfUpdater
from colibri.update.executor import Executor, UpdateOptions, UpdateOutcome, UpdateRequest
from colibri.update.recovery import Recoverer, RecoveryOutcome

__all__ = ["UpdateReport", "UpdateService"]

log = logging.getLogger(__name__)

_SKIPPED = {
    CheckStatus.PINNED,
    CheckStatus.LOCAL_ONLY,
    CheckStatus.NO_REFERENCE,
    CheckStatus.NO_PLATFORM,
    CheckStatus.DEFERRED,
    CheckStatus.SKIPPED,
}


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
        executor: Executor,
        recoverer: Recoverer,
        self_updater: SelfUpdater | None = None,
    ) -> None:
        self.checker = checker
        self.executor = executor
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
        containers = {container.id: container for container in report.checked}
        outcomes = []
        for result in _ordered(report.results, containers):
            outcome = self._one(result, containers.get(result.container_id), options)
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

    def _being_updated(self, names: Sequence[str]) -> tuple[list[UpdateOutcome], tuple[str, ...]]:
        """Of the names not found, those another update is swapping right now (its lock is
        held, and the name is free only between its two renames): ``skipped``, not missing."""
        busy, missing = [], []
        for name in names:
            holder = self.executor.updating(name)
            if holder is None:
                missing.append(name)
                continue
            reason = f"being updated by run {holder.run_id} ({holder.hostname}, pid {holder.pid})"
            busy.append(UpdateOutcome(name, RunStatus.SKIPPED, reason))
        return busy, tuple(missing)

    def _one(
        self, result: CheckResult, container: Container | None, options: UpdateOptions
    ) -> UpdateOutcome:
        if result.status is CheckStatus.UP_TO_DATE:
            return _outcome(result, RunStatus.UP_TO_DATE, result.reason)
        if result.status in _SKIPPED:
            return _outcome(result, RunStatus.SKIPPED, f"{result.status.value}: {result.reason}")
        if result.status is CheckStatus.ERROR or container is None or not result.remote_digest:
            return _outcome(result, RunStatus.FAILED, f"check failed: {result.reason}")
        try:
            expected = expected_length(options.verify, container.labels)
        except ConfigError as exc:
            return _outcome(result, RunStatus.FAILED, str(exc))
        held = update_hold(result.notes, self.executor.clock.now(), expected)
        if held is not None:
            return _outcome(result, RunStatus.SKIPPED, held)
        try:
            ref = target_ref(result)
        except BadReference as exc:
            return _outcome(result, RunStatus.FAILED, str(exc))
        if self.self_updater is not None and self.self_updater.is_own(container):
            # the transaction would stop this very process: a helper from the new image runs it
            return self.self_updater.hand_off(self.checker.engine, result, container, ref, options)
        request = UpdateRequest(
            container=container,
            ref=ref,
            remote_digest=result.remote_digest,
            expected_digest=result.expected_digest,
            current_digest=result.current_digest,
            platform=result.platform,
        )
        return self.executor.update(request, options)


def target_ref(result: CheckResult) -> ImageRef:
    """The reference to update to: the container's, moved to the newer tag when the check
    found one."""
    ref = parse_reference(result.image)
    return ref.with_tag(result.target_tag) if result.target_tag else ref


def _ordered(results: Sequence[CheckResult], containers: dict[str, Container]) -> list[CheckResult]:
    by_id = {result.container_id: result for result in results}
    order = update_order([containers[i] for i in by_id if i in containers])
    ordered = [by_id[container.id] for container in order]
    return ordered + [r for r in results if r.container_id not in containers]


def _outcome(result: CheckResult, status: RunStatus, reason: str) -> UpdateOutcome:
    return UpdateOutcome(
        container=result.container,
        status=status,
        reason=reason,
        old_digest=result.current_digest,
        new_digest=result.remote_digest,
        old_image_id=result.image_id or None,
    )
