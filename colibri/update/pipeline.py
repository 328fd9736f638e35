"""The one update pipeline: check results in, one outcome per container out.

Every entry point (``colibri update``, the scheduler, the API's run-now) checks, then hands
the results here; this module alone turns them into updates:

1. a result the check settles (up to date, pinned, deferred, failed...) becomes its outcome;
2. the rest are grouped (:func:`colibri.domain.planner.update_groups`): containers that depend
   on one another in one group, in order; groups run side by side, at most ``concurrency`` at
   a time, so their verification windows overlap;
3. per container: its lock (:class:`colibri.update.locks.UpdateLocks`; held elsewhere means
   ``skipped``; a heartbeat extends it while the transaction runs), a second look at the
   daemon (a container replaced since the check is ``skipped``), the run row (the caller's,
   when it made one, else a new one), then the transaction
   (:class:`colibri.update.executor.Executor`);
4. a digest is pulled once per batch, however many containers run it;
5. Colibri's own container, when a ``hand_off`` is given, is not updated in this process
   (the transaction would stop it midway): the hand-off starts a helper that does it.

A failure of one container is its own outcome: it never stops or slows the others.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from colibri.concurrency import Once
from colibri.domain.holders import HEARTBEAT_SECONDS
from colibri.domain.journal import LockOwner, NewRun, RunStatus
from colibri.domain.model import CheckResult, Container
from colibri.domain.planner import settled_by_check, update_groups, update_order
from colibri.domain.ports import Clock, Engine, Gate, Journal, Prober, Units
from colibri.domain.refs import ImageRef
from colibri.domain.steps import DoneStep
from colibri.domain.transient import replaced_by
from colibri.errors import ColibriError, EngineNotFound, LockHeld
from colibri.update.executor import Executor, Pulls, Transaction
from colibri.update.heartbeat import Heartbeat
from colibri.update.hooks import hook_runner
from colibri.update.locks import KeyClaims, UpdateLocks, lock_key, owner_for
from colibri.update.model import UpdateOptions, UpdateOutcome, UpdateRequest

__all__ = ["HandOff", "UpdatePipeline", "close_run"]

log = logging.getLogger(__name__)

OnOutcome = Callable[[UpdateOutcome], None]


class HandOff(Protocol):
    """Who updates Colibri's own container instead of this process
    (``colibri.services.self_update.SelfUpdater``)."""

    def is_own(self, container: Container) -> bool: ...

    def hand_off(
        self,
        engine: Engine,
        result: CheckResult,
        container: Container,
        ref: ImageRef,
        options: UpdateOptions,
    ) -> UpdateOutcome: ...


@dataclass(frozen=True)
class _Job:
    result: CheckResult
    run_id: str | None  # the caller's run row, if it made one


class UpdatePipeline:
    """Updates the containers of one environment (see the module docstring). Thread-safe."""

    def __init__(
        self,
        engine: Engine,
        journal: Journal,
        clock: Clock,
        *,
        environment: str = "local",
        gate: Gate | None = None,
        prober: Prober | None = None,
        registry_auth: Callable[[ImageRef], Mapping[str, str] | None] | None = None,
        claims: KeyClaims | None = None,
        concurrency: int = 1,
        hand_off: HandOff | None = None,
        units: Units | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.hand_off = hand_off
        self.journal = journal
        self.environment = environment
        self.locks = UpdateLocks(journal, claims)
        self.concurrency = max(1, concurrency)
        self.executor = Executor(
            engine,
            journal,
            clock,
            gate=gate,
            prober=prober,
            registry_auth=registry_auth,
            units=units,
            hooks=hook_runner(engine, journal),
        )

    def updating(self, container_name: str) -> LockOwner | None:
        """Who is updating ``container_name`` right now (its lock's holder), if anyone."""
        return self.locks.holder(lock_key(self.environment, container_name))

    def update(
        self,
        results: Sequence[CheckResult],
        options: UpdateOptions,
        *,
        run_ids: Mapping[str, str] | None = None,
        on_outcome: OnOutcome | None = None,
    ) -> list[UpdateOutcome]:
        """One outcome per result, in the order they were decided. ``run_ids`` maps a
        container name to the run row its caller already made (it is filled in and closed);
        other updates get a new row. ``on_outcome`` is called as each one is known."""
        rows = run_ids or {}
        jobs = [_Job(result, rows.get(result.container)) for result in results]
        report = _Collector(on_outcome)
        pulls: Pulls = Once()
        updates: list[_Job] = []
        for job in jobs:
            settled = settled_by_check(job.result, self.clock.now(), options.verify)
            if settled is None:
                updates.append(job)
            else:
                report.add(self._settled(job, *settled))
        groups = self._groups(updates)
        if self.concurrency == 1 or len(groups) < 2:
            for group in groups:
                self._run_group(group, options, pulls, report)
        else:
            with ThreadPoolExecutor(
                min(self.concurrency, len(groups)), thread_name_prefix="colibri-update"
            ) as pool:
                for future in [
                    pool.submit(self._run_group, group, options, pulls, report) for group in groups
                ]:
                    future.result()
        return report.outcomes

    def _groups(self, jobs: list[_Job]) -> list[list[_Job]]:
        by_id = {_container(job).id: job for job in jobs}
        containers = [_container(job) for job in jobs]
        if self.concurrency == 1:
            return [[by_id[container.id]] for container in update_order(containers)]
        return [[by_id[c.id] for c in group] for group in update_groups(containers)]

    def _run_group(
        self, group: list[_Job], options: UpdateOptions, pulls: Pulls, report: _Collector
    ) -> None:
        for job in group:
            try:
                outcome = self._one(job, options, pulls)
            except Exception as exc:  # a bug in one container's update never stops the rest
                log.exception("update of %s stopped by an unexpected error", job.result.container)
                outcome = self._closed(job, RunStatus.FAILED, f"unexpected {exc!r}")
            report.add(outcome)

    def _settled(self, job: _Job, status: RunStatus, reason: str) -> UpdateOutcome:
        if job.run_id is not None:
            try:
                closed = self._closed_meanwhile(job.run_id)
                if closed is not None:
                    return _outcome(job.result, RunStatus.SKIPPED, closed, job.run_id)
                self._fill_row(job.run_id, job.result)
            except ColibriError as exc:
                return self._closed(job, RunStatus.FAILED, str(exc))
        return self._closed(job, status, reason)

    def _one(self, job: _Job, options: UpdateOptions, pulls: Pulls) -> UpdateOutcome:
        result, container = job.result, _container(job)
        if options.dry_run and self._is_own(container):
            return self._handed_off(job, options)
        if options.dry_run:
            return self._closed(job, RunStatus.WOULD_UPDATE, _would(result))
        run_id = job.run_id or secrets.token_hex(16)
        owner = owner_for(run_id)
        key = lock_key(self.environment, container.name)
        try:
            with self.locks.hold(key, owner):
                return self._locked(job, run_id, owner, options, pulls)
        except LockHeld as exc:
            return self._closed(job, RunStatus.SKIPPED, str(exc))
        except ColibriError as exc:  # the store failed around the transaction
            log.error("update of %s stopped: %s", container.name, exc)
            return _outcome(result, RunStatus.FAILED, f"{exc}; run `colibri recover`", run_id)

    def _locked(
        self, job: _Job, run_id: str, owner: LockOwner, options: UpdateOptions, pulls: Pulls
    ) -> UpdateOutcome:
        result, container = job.result, _container(job)
        if job.run_id is not None:
            closed = self._closed_meanwhile(job.run_id)
            if closed is not None:
                return _outcome(result, RunStatus.SKIPPED, closed, job.run_id)
        try:
            changed = self._changed_since_check(container)
        except ColibriError as exc:
            reason = f"cannot inspect {container.name} again before updating it: {exc}"
            return self._closed(job, RunStatus.FAILED, reason)
        if changed is not None:
            return self._closed(job, RunStatus.SKIPPED, changed)
        if self._is_own(container):
            return self._handed_off(job, options)
        self._open_row(job, run_id, options)
        key = lock_key(self.environment, container.name)
        transaction = Transaction(
            run_id,
            _request(result, container),
            options,
            keepalive=lambda: self.locks.refresh(key, owner),
            pulls=pulls,
        )
        with Heartbeat(transaction.keepalive, HEARTBEAT_SECONDS):
            return self.executor.run(transaction)

    def _is_own(self, container: Container) -> bool:
        return self.hand_off is not None and self.hand_off.is_own(container)

    def _handed_off(self, job: _Job, options: UpdateOptions) -> UpdateOutcome:
        """Colibri's own container: the hand-off's outcome, on the caller's row if any."""
        assert self.hand_off is not None
        request = _request(job.result, _container(job))
        outcome = self.hand_off.hand_off(
            self.engine, job.result, request.container, request.ref, options
        )
        return close_run(self.journal, replace(outcome, run_id=job.run_id))

    def _changed_since_check(self, checked: Container) -> str | None:
        """Why ``checked`` must not be updated after all, now that its lock is ours: the
        container under its name is not the one (or runs another image than the one) that
        was checked, as when another update replaced it in between."""
        original = replaced_by(checked.name)
        if original is not None:
            return f"{checked.name} is a temporary copy made while updating {original}"
        try:
            current = self.engine.get_container(checked.name)
        except EngineNotFound:
            return f"{checked.name} no longer exists"
        if (current.id, current.image_id) != (checked.id, checked.image_id):
            return f"{checked.name} changed since it was checked (updated meanwhile?)"
        return None

    def _closed_meanwhile(self, run_id: str) -> str | None:
        """Why a queued run must not start: its row was closed while it waited (another
        process's recovery finished it as interrupted). ``None`` when it is still running."""
        run = self.journal.get_run(run_id)
        if run.status is RunStatus.RUNNING:
            return None
        return f"closed before it began ({run.status.value}: {run.reason}); nothing was done"

    def _open_row(self, job: _Job, run_id: str, options: UpdateOptions) -> None:
        result, container = job.result, _container(job)
        if job.run_id is not None:  # the caller's row exists: fill in what the check found
            self._fill_row(run_id, result)
            return
        self.journal.start_run(
            NewRun(
                environment=self.environment,
                container_name=container.name,
                container_id=container.id,
                image=container.config_image,
                trigger=options.trigger,
                old_image_id=container.image_id,
                old_digest=result.current_digest,
                new_digest=result.remote_digest,
                run_id=run_id,
            )
        )

    def _fill_row(self, run_id: str, result: CheckResult) -> None:
        self.journal.update_run(
            run_id,
            container_id=result.container_id,
            image=result.image,
            old_image_id=result.image_id or None,
            old_digest=result.current_digest,
            new_digest=result.remote_digest,
        )

    def _closed(self, job: _Job, status: RunStatus, reason: str) -> UpdateOutcome:
        """An outcome decided before the transaction; the caller's row, if any, closed."""
        return close_run(self.journal, _outcome(job.result, status, reason, job.run_id))


def close_run(journal: Journal, outcome: UpdateOutcome) -> UpdateOutcome:
    """Close ``outcome``'s run row, if it has one, with its status (best effort: a store
    failure is logged). For outcomes decided before any transaction ran."""
    if outcome.run_id is not None:
        try:
            done = DoneStep(outcome.status.value)
            journal.record_step(outcome.run_id, done.STEP, done.as_dict())
            journal.finish_run(outcome.run_id, outcome.status, reason=outcome.reason)
        except ColibriError as exc:
            log.error("could not finish run %s (%s): %s", outcome.run_id, outcome.status, exc)
    log.info("%s: %s (%s)", outcome.container, outcome.status.value, outcome.reason)
    return outcome


class _Collector:
    """The outcomes as they come, from any thread."""

    def __init__(self, on_outcome: OnOutcome | None) -> None:
        self.outcomes: list[UpdateOutcome] = []
        self.on_outcome = on_outcome
        self._lock = threading.Lock()

    def add(self, outcome: UpdateOutcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)
            if self.on_outcome is not None:
                self.on_outcome(outcome)


def _container(job: _Job) -> Container:
    container = job.result.checked
    assert container is not None  # settled_by_check sends only checked results to update
    return container


def _request(result: CheckResult, container: Container) -> UpdateRequest:
    ref = result.target_ref
    assert ref is not None and result.remote_digest  # settled_by_check said so
    return UpdateRequest(
        container=container,
        ref=ref,
        remote_digest=result.remote_digest,
        expected_digest=result.expected_digest,
        current_digest=result.current_digest,
        platform=result.platform,
    )


def _would(result: CheckResult) -> str:
    ref = result.target_ref
    target = ref.by_digest(result.remote_digest or "") if ref else result.image
    log.info("(dry run) would update %s to %s", result.container, result.remote_digest)
    return f"would pull {target} and recreate"


def _outcome(
    result: CheckResult, status: RunStatus, reason: str, run_id: str | None
) -> UpdateOutcome:
    return UpdateOutcome(
        container=result.container,
        status=status,
        reason=reason,
        old_digest=result.current_digest,
        new_digest=result.remote_digest,
        old_image_id=result.image_id or None,
        run_id=run_id,
    )
