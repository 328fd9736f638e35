"""One auto-update setting, run once: check its container, update it if needed, tell people.

Both the scheduler and "run now" (``RunService``) go through :meth:`SettingRunner.run`:

1. the run row exists before anything else (the caller's, or one made here with the
   trigger), so every attempt is in the journal, skipped ones included;
2. the container's lock, ``<environment>/<container>``, is taken twice: in this process (a
   scheduled run and a manual one of the same container, in two threads) and in the store
   (another ``colibri serve`` or ``colibri update``); either one held makes the run
   ``skipped``, never an error. The executor takes the store lock over (same process) and
   releases it at the end. Until the lock is taken nothing marks the row as this process's,
   so another process's recovery may close it as interrupted; with the lock held the row is
   read again, and a closed one is left as it is and nothing runs;
3. the environment's engine (``EngineFactory``) and a check of that one container; a check
   that finds it ``up_to_date`` finishes the run as such, ``pinned``, ``local_only``,
   ``deferred``… as ``skipped``, an error as ``failed``;
4. otherwise the executor runs the transaction with the setting's gate: the setting's
   choices over the global defaults (:func:`setting_overrides`), container labels on top;
5. afterwards, whatever happened: the metrics, the container's status, the result on the
   setting (a failure pushes the next run back by :func:`~colibri.services.run_times.
   failure_backoff`), and the notification (``updated``, ``blocked`` with the findings
   summary, ``rolled_back``, ``failed``), which can never fail the run.

The setting's update policy (``digest``, or ``patch``/``minor``/``major``/``all`` newer version
tags) is the default for the container's ``colibri.policy`` label, which stays on top.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from threading import Lock

from colibri.domain.container_status import ContainerStatus
from colibri.domain.controls import expected_length, update_hold
from colibri.domain.criteria import OnFailure, UnknownAs
from colibri.domain.environments import Environment
from colibri.domain.gate_policy import GateOverrides
from colibri.domain.journal import LOCK_TTL_SECONDS, LockOwner, NewRun, RunStatus, Step
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.policy import tag_rules
from colibri.domain.ports import (
    AutoUpdates,
    Clock,
    ContainerStatuses,
    Environments,
    Journal,
    Prober,
    Registry,
    Units,
)
from colibri.domain.refs import ImageRef
from colibri.domain.settings import (
    FAILED_STATUSES,
    AutoUpdateConfig,
    AutoUpdateSetting,
    UpdatePolicy,
)
from colibri.domain.versions import TagRules
from colibri.errors import ColibriError, LockHeld
from colibri.instance import this_process
from colibri.services.check import CheckRequest, CheckService
from colibri.services.controls import ControlsFactory
from colibri.services.notifications import NotificationService
from colibri.services.ports import EngineFactory, GateFactory, Metrics
from colibri.services.run_times import failure_backoff
from colibri.services.self_update import SelfUpdater
from colibri.services.update import target_ref
from colibri.update.executor import Executor, UpdateOptions, UpdateOutcome, UpdateRequest

__all__ = ["RunnerStores", "SettingRunner", "UpdateTools", "setting_overrides"]

log = logging.getLogger(__name__)

_SKIPPED_CHECKS = {
    CheckStatus.PINNED,
    CheckStatus.LOCAL_ONLY,
    CheckStatus.NO_REFERENCE,
    CheckStatus.NO_PLATFORM,
    CheckStatus.DEFERRED,
    CheckStatus.SKIPPED,
}


def setting_overrides(config: AutoUpdateConfig) -> GateOverrides:
    """The gate choices of a setting that differ from the defaults; the rest keeps the
    global policy (``COLIBRI_CRITERIA``…). ``criteria: inherit`` keeps the global level,
    ``never`` turns the scan off for this container; a setting can ask for more than the
    global policy (a scan, a signature) or choose how a scan is judged; a container's labels
    still apply on top."""
    gate = config.gate
    return GateOverrides(
        level=config.criteria.level,
        only_fixable=True if gate.only_fixable else None,
        not_worse_than_running=True if gate.not_worse_than_running else None,
        unknown_as=None if gate.unknown_as is UnknownAs.CRITICAL else gate.unknown_as,
        on_failure=None if gate.on_failure is OnFailure.BLOCK else gate.on_failure,
        require_signature=True if gate.require_signature else None,
    )


@dataclass(frozen=True)
class RunnerStores:
    """The store ports a run reads and writes."""

    environments: Environments
    auto_updates: AutoUpdates
    journal: Journal
    statuses: ContainerStatuses


@dataclass(frozen=True)
class UpdateTools:
    """What checking and updating a container needs: engines, the registry, the gate, the
    executor's options (verification, cleanup; trigger and run id are set per run)."""

    engines: EngineFactory
    registry: Registry
    gates: GateFactory
    options: UpdateOptions = field(default_factory=UpdateOptions)
    prober: Prober | None = None
    registry_auth: Callable[[ImageRef], Mapping[str, str] | None] | None = None
    controls: ControlsFactory | None = None
    self_updater: SelfUpdater | None = None
    units: Units | None = None  # systemd, for containers their units run (podman)


@dataclass(frozen=True)
class _Target:
    """One run of one setting: where, which, why, and its journal row."""

    environment: Environment
    setting: AutoUpdateSetting
    trigger: str
    run_id: str

    def outcome(self, status: RunStatus, reason: str) -> UpdateOutcome:
        """An outcome decided before the executor ran."""
        return _outcome(self.setting.container_name, status, reason, self.run_id)


@dataclass(frozen=True)
class _Attempt:
    """A run's outcome and what the notification needs besides it."""

    outcome: UpdateOutcome
    image: str = ""


class SettingRunner:
    """Runs one setting at a time per container (see the module docstring). Thread-safe."""

    def __init__(
        self,
        stores: RunnerStores,
        tools: UpdateTools,
        notifications: NotificationService | None,
        metrics: Metrics,
        clock: Clock,
    ) -> None:
        self.stores = stores
        self.tools = tools
        self.notifications = notifications
        self.metrics = metrics
        self.clock = clock
        self._busy = _BusyKeys()

    def run(
        self, setting: AutoUpdateSetting, *, trigger: str, run_id: str | None = None
    ) -> UpdateOutcome:
        """Check and update ``setting``'s container now, journaled as ``run_id`` (created
        here when ``None``). Never raises: failures are outcomes."""
        started = self.clock.monotonic()
        environment = None
        try:
            environment = self.stores.environments.get(setting.environment_id)
            if environment is not None and run_id is None:
                run_id = self._start_row(environment, setting.container_name, trigger)
            attempt = self._attempt(environment, setting, trigger, run_id)
        except Exception as exc:  # the store failed, or a bug: neither may kill a worker
            if isinstance(exc, ColibriError):
                log.error("run of setting %s failed: %s", setting.id, exc)
            else:
                log.exception("run of setting %s stopped by an unexpected error", setting.id)
            reason = str(exc) if isinstance(exc, ColibriError) else f"unexpected {exc!r}"
            failed = _outcome(setting.container_name, RunStatus.FAILED, reason, run_id)
            attempt = _Attempt(self._finish_row(failed))
        self._after(setting, environment, attempt, trigger, started)
        return attempt.outcome

    def _attempt(
        self,
        environment: Environment | None,
        setting: AutoUpdateSetting,
        trigger: str,
        run_id: str | None,
    ) -> _Attempt:
        name = setting.container_name
        if environment is None or run_id is None:
            reason = f"environment {setting.environment_id} no longer exists"
            return _Attempt(self._finish_row(_outcome(name, RunStatus.FAILED, reason, run_id)))
        key = f"{environment.name}/{name}"
        with self._busy.claim(key) as free:
            if not free:
                reason = f"another update of {key} is running in this process"
                return _Attempt(self._finish_row(_outcome(name, RunStatus.SKIPPED, reason, run_id)))
            return self._locked(_Target(environment, setting, trigger, run_id), key)

    def _locked(self, target: _Target, key: str) -> _Attempt:
        owner = this_process().owner(target.run_id)
        try:
            self.stores.journal.acquire_lock(key, owner, LOCK_TTL_SECONDS)
        except LockHeld as exc:
            return _Attempt(self._finish_row(target.outcome(RunStatus.SKIPPED, str(exc))))
        try:
            closed = self._closed_meanwhile(target.run_id)
            if closed is not None:
                return _Attempt(target.outcome(RunStatus.SKIPPED, closed))
            return self._check_and_update(target)
        except ColibriError as exc:
            log.warning("run %s of %s failed: %s", target.run_id, key, exc)
            return _Attempt(self._finish_row(target.outcome(RunStatus.FAILED, str(exc))))
        finally:
            self._release(key, owner)

    def _closed_meanwhile(self, run_id: str) -> str | None:
        """Why a queued run must not start: its row was closed while it waited (another
        process's recovery finished it as interrupted). ``None`` when it is still running."""
        run = self.stores.journal.get_run(run_id)
        if run.status is RunStatus.RUNNING:
            return None
        return f"closed before it began ({run.status.value}: {run.reason}); nothing was done"

    def _check_and_update(self, target: _Target) -> _Attempt:
        name, environment = target.setting.container_name, target.environment
        engine = self.tools.engines.engine_for(environment)
        controls = self.tools.controls
        check = CheckService(
            engine,
            self.tools.registry,
            tag_policy=_tag_policy(target.setting.config.policy),
            controls=controls.for_environment(environment.name, engine) if controls else None,
        )
        report = check.check(CheckRequest(names=(name,)))
        if name in report.excluded:
            reason = f"{name}: {report.excluded[name]}"
            return _Attempt(self._finish_row(target.outcome(RunStatus.SKIPPED, reason)))
        result = next((r for r in report.results if r.container == name), None)
        if result is None:  # not found by exactly this name (an ID prefix does not count)
            reason = f"no container named {name!r} in environment {environment.name}"
            return _Attempt(self._finish_row(target.outcome(RunStatus.FAILED, reason)))
        self.metrics.observe_check(result.status)
        self._record_status(
            ContainerStatus.from_check(
                result, environment_id=environment.id, checked_at=self.clock.now()
            )
        )
        self._fill_row(target.run_id, result)
        container = report.container_of(result)
        if result.status is not CheckStatus.UPDATE_AVAILABLE or container is None:
            return _Attempt(self._finish_row(_check_outcome(result, target.run_id)), result.image)
        expected = expected_length(self.tools.options.verify, container.labels)
        held = update_hold(result.notes, self.clock.now(), expected)
        if held is not None:
            return _Attempt(self._finish_row(target.outcome(RunStatus.SKIPPED, held)), result.image)
        return _Attempt(self._update(check, target, container, result), result.image)

    def _update(
        self, check: CheckService, target: _Target, container: Container, result: CheckResult
    ) -> UpdateOutcome:
        """The executor's transaction on ``container`` as checked, with the setting's gate,
        continuing the run."""
        config = target.setting.config
        executor = Executor(
            check.engine,
            self.stores.journal,
            self.clock,
            environment=target.environment.name,
            gate=self.tools.gates.gate_for(setting_overrides(config)),
            prober=self.tools.prober,
            registry_auth=self.tools.registry_auth,
            units=self.tools.units,
        )
        options = replace(
            self.tools.options, dry_run=False, trigger=target.trigger, run_id=target.run_id
        )
        request = _request(container, result)
        own = self.tools.self_updater
        if own is not None and own.is_own(container):
            # the transaction would stop this very process: a helper from the new image runs it
            handed = own.hand_off(check.engine, result, container, request.ref, options)
            return self._finish_row(replace(handed, run_id=target.run_id))
        outcome = executor.update(request, options)
        if outcome.status is RunStatus.UPDATED:
            self._record_updated(check, target.environment, result, outcome)
        return outcome

    def _start_row(self, environment: Environment, name: str, trigger: str) -> str:
        run = NewRun(environment.name, name, "", "", trigger=trigger, run_id=secrets.token_hex(16))
        return self.stores.journal.start_run(run).id

    def _fill_row(self, run_id: str, result: CheckResult) -> None:
        """What the check found, on the run row (the executor refines it if it runs)."""
        self.stores.journal.update_run(
            run_id,
            container_id=result.container_id,
            image=result.image,
            old_image_id=result.image_id or None,
            old_digest=result.current_digest,
            new_digest=result.remote_digest,
        )

    def _finish_row(self, outcome: UpdateOutcome) -> UpdateOutcome:
        """Close the run row with ``outcome`` (best effort: a store failure is logged)."""
        if outcome.run_id is None:
            return outcome
        try:
            self.stores.journal.record_step(
                outcome.run_id, Step.DONE, {"status": outcome.status.value}
            )
            self.stores.journal.finish_run(outcome.run_id, outcome.status, reason=outcome.reason)
        except ColibriError as exc:
            log.error("could not finish run %s (%s): %s", outcome.run_id, outcome.status, exc)
        log.info("%s: %s (%s)", outcome.container, outcome.status.value, outcome.reason)
        return outcome

    def _release(self, key: str, owner: LockOwner) -> None:
        try:
            self.stores.journal.release_lock(key, owner)
        except ColibriError as exc:
            log.warning("could not release the lock on %s: %s (it expires)", key, exc)

    def _record_updated(
        self,
        check: CheckService,
        environment: Environment,
        before: CheckResult,
        outcome: UpdateOutcome,
    ) -> None:
        """The container is now up to date on the new digest (under a new ID)."""
        try:
            container_id = check.engine.get_container(before.container).id
        except ColibriError:
            container_id = before.container_id
        self._record_status(
            ContainerStatus(
                environment_id=environment.id,
                container_name=before.container,
                container_id=container_id,
                image=before.image,
                status=CheckStatus.UP_TO_DATE,
                checked_at=self.clock.now(),
                current_digest=outcome.new_digest,
                remote_digest=outcome.new_digest,
                reason="updated",
            )
        )

    def _record_status(self, status: ContainerStatus) -> None:
        try:
            self.stores.statuses.record([status])
        except ColibriError as exc:
            log.warning("could not record the status of %s: %s", status.container_name, exc)

    def _after(
        self,
        setting: AutoUpdateSetting,
        environment: Environment | None,
        attempt: _Attempt,
        trigger: str,
        started: float,
    ) -> None:
        """Metrics, the setting's result, the notification: each on its own, never raising."""
        outcome = attempt.outcome
        self.metrics.observe_run(outcome.status, trigger, self.clock.monotonic() - started)
        self._record_result(setting, outcome)
        if self.notifications is None or not setting.config.notify or environment is None:
            return
        report = self.notifications.notify_outcome(
            outcome, environment=environment.name, image=attempt.image
        )
        for delivery in report.failed:
            if outcome.run_id:
                self._log(outcome.run_id, f"notification to {delivery.target} failed")

    def _record_result(self, setting: AutoUpdateSetting, outcome: UpdateOutcome) -> None:
        pushed = None
        if outcome.status in FAILED_STATUSES:
            pushed = self.clock.now() + failure_backoff(setting.consecutive_failures + 1)
        try:
            self.stores.auto_updates.record_result(
                setting.id, outcome.status, run_id=outcome.run_id, next_run_at=pushed
            )
        except ColibriError as exc:
            log.error("could not record the result of setting %s: %s", setting.id, exc)

    def _log(self, run_id: str, message: str) -> None:
        try:
            self.stores.journal.log(run_id, "WARNING", message)
        except ColibriError as exc:
            log.warning("could not log to run %s: %s", run_id, exc)


class _BusyKeys:
    """Container keys being updated by a thread of this process."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._keys: set[str] = set()

    @contextmanager
    def claim(self, key: str) -> Iterator[bool]:
        """``True`` inside the block when ``key`` was free (it is then ours until the end)."""
        with self._lock:
            free = key not in self._keys
            self._keys.add(key)
        try:
            yield free
        finally:
            if free:
                with self._lock:
                    self._keys.discard(key)


def _outcome(name: str, status: RunStatus, reason: str, run_id: str | None) -> UpdateOutcome:
    return UpdateOutcome(name, status, reason, run_id=run_id)


def _check_outcome(result: CheckResult, run_id: str) -> UpdateOutcome:
    """The run's outcome when the check alone decides it."""
    if result.status is CheckStatus.UP_TO_DATE:
        status, reason = RunStatus.UP_TO_DATE, result.reason or "up to date"
    elif result.status in _SKIPPED_CHECKS:
        status, reason = RunStatus.SKIPPED, f"{result.status.value}: {result.reason}"
    else:
        status, reason = RunStatus.FAILED, f"check failed: {result.reason}"
    return UpdateOutcome(
        result.container,
        status,
        reason,
        old_digest=result.current_digest,
        new_digest=result.remote_digest,
        old_image_id=result.image_id or None,
        run_id=run_id,
    )


def _tag_policy(policy: UpdatePolicy) -> Callable[[Container], TagRules | None]:
    """The setting's policy; for ``digest``, what the container's labels say."""
    if policy is UpdatePolicy.DIGEST:
        return lambda container: tag_rules(container.labels)
    return lambda container: tag_rules(container.labels, default_policy=policy.value)


def _request(container: Container, result: CheckResult) -> UpdateRequest:
    """The executor's request for ``container``, which the check found out of date."""
    return UpdateRequest(
        container=container,
        ref=target_ref(result),
        remote_digest=result.remote_digest or "",
        expected_digest=result.expected_digest,
        current_digest=result.current_digest,
        platform=result.platform,
    )
