"""One auto-update setting, run once: check its container, update it if needed, tell people.

Both the scheduler and "run now" (``RunService``) go through :meth:`SettingRunner.run`, which
says *what* (one container, with the setting's policy and gate) and leaves *how* to the one
update pipeline (:class:`colibri.update.pipeline.UpdatePipeline`):

1. the run row exists before anything else (the caller's, or one made here with the
   trigger), so every attempt is in the journal, skipped ones included;
2. the environment's engine (``EngineFactory``) and a check of that one container, with the
   setting's policy; the container's status is recorded;
3. the pipeline takes the result with the run row: it closes it as the check decided
   (``up_to_date``, ``skipped``, ``failed``), or takes the container's lock (held in this
   process or another: ``skipped``), reads the row again (closed meanwhile by another
   process's recovery: left as it is, nothing runs) and runs the transaction with the
   setting's gate: the setting's choices over the global defaults
   (:func:`setting_overrides`), container labels on top;
4. afterwards, whatever happened: the metrics, the container's status, the result on the
   setting (a failure pushes the next run back by :func:`~colibri.services.run_times.
   failure_backoff`), and the notification (``updated``, ``blocked`` with the findings
   summary, ``rolled_back``, ``failed``), which can never fail the run.

The setting's update policy (``digest``, or ``patch``/``minor``/``major``/``all`` newer version
tags) is the default for the container's ``colibri.policy`` label, which stays on top.

A container without a setting runs the same way from its label-driven slot
(:meth:`SettingRunner.run_slot`): its labels decide policy and gate, the service's defaults the
rest, and the result goes on the slot. Monitor-only containers (``Mode.NOTIFY``) are checked
and their "update available" told, never updated, and leave no run in the history. Two more
things happen around the pipeline for every run: a candidate digest recorded as bad for the
container (it failed or rolled back before) ends the run ``skipped`` with the first failure's
reason, and a run that fails or rolls back records its candidate as bad
(:class:`~colibri.services.bad_digests.BadDigestService`); and the old image is removed after
a committed update unless the container's plan says ``cleanup: false``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from colibri.domain.bad_digests import skip_reason
from colibri.domain.container_status import ContainerStatus
from colibri.domain.controls import expected_length, next_chance
from colibri.domain.criteria import OnFailure, UnknownAs
from colibri.domain.environments import Environment
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.gate_policy import GateOverrides
from colibri.domain.journal import NewRun, RunStatus
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.policy import tag_rules
from colibri.domain.ports import (
    AutoUpdates,
    Clock,
    ContainerStatuses,
    Engine,
    Environments,
    Gate,
    Journal,
    Prober,
    Registry,
    Units,
)
from colibri.domain.refs import ImageRef
from colibri.domain.service_plan import LabelSlot, Mode
from colibri.domain.settings import (
    FAILED_STATUSES,
    AutoUpdateConfig,
    AutoUpdateSetting,
    Schedule,
    ScheduleType,
    UpdatePolicy,
)
from colibri.domain.versions import TagRules
from colibri.errors import ColibriError
from colibri.services.bad_digests import BadDigestService
from colibri.services.check import CheckRequest, CheckService
from colibri.services.controls import ControlsFactory
from colibri.services.notifications import NotificationService
from colibri.services.ports import EngineFactory, GateFactory, LabelSlots, Metrics
from colibri.services.run_times import failure_backoff
from colibri.services.self_update import SelfUpdater
from colibri.update.locks import KeyClaims
from colibri.update.model import UpdateOptions, UpdateOutcome
from colibri.update.pipeline import UpdatePipeline, close_run

__all__ = ["RunnerStores", "SettingRunner", "UpdateTools", "setting_overrides"]

log = logging.getLogger(__name__)


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
    slots: LabelSlots | None = None
    bad_digests: BadDigestService | None = None


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
class _Job:
    """What one run is about: a container, the choices it runs with, and where its result
    goes (its setting, or its label slot)."""

    environment_id: int
    container_name: str
    config: AutoUpdateConfig
    cleanup: bool | None = None  # None: the service's option
    setting: AutoUpdateSetting | None = None

    @classmethod
    def of_setting(cls, setting: AutoUpdateSetting, cleanup: bool | None = None) -> _Job:
        return cls(setting.environment_id, setting.container_name, setting.config, cleanup, setting)

    @classmethod
    def of_slot(cls, slot: LabelSlot) -> _Job:
        schedule = Schedule(ScheduleType.CUSTOM, slot.plan.cron, slot.plan.timezone)
        config = AutoUpdateConfig(schedule=schedule)  # the labels decide policy and gate
        return cls(slot.environment_id, slot.container_name, config, slot.plan.cleanup)

    @property
    def label(self) -> str:
        if self.setting is not None:
            return f"setting {self.setting.id}"
        return f"{self.container_name} (labels)"


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
        self._claims = KeyClaims()

    def run(
        self,
        setting: AutoUpdateSetting,
        *,
        trigger: str,
        run_id: str | None = None,
        cleanup: bool | None = None,
    ) -> UpdateOutcome:
        """Check and update ``setting``'s container now, journaled as ``run_id`` (created
        here when ``None``). Never raises: failures are outcomes."""
        if cleanup is None and self.stores.slots is not None:
            plan = self.stores.slots.get(setting.environment_id, setting.container_name)
            cleanup = None if plan is None else plan.plan.cleanup
        return self._run(_Job.of_setting(setting, cleanup), trigger, run_id)

    def run_slot(self, slot: LabelSlot, *, trigger: str) -> UpdateOutcome:
        """Run a container its labels (or the service's default) schedule; a monitor-only
        one is only checked. Never raises."""
        if slot.plan.mode is Mode.NOTIFY:
            return self._monitor(slot)
        return self._run(_Job.of_slot(slot), trigger, None)

    def _run(self, job: _Job, trigger: str, run_id: str | None) -> UpdateOutcome:
        started = self.clock.monotonic()
        environment = None
        try:
            environment = self.stores.environments.get(job.environment_id)
            if environment is not None and run_id is None:
                run_id = self._start_row(environment, job.container_name, trigger)
            attempt = self._attempt(environment, job, trigger, run_id)
        except Exception as exc:  # the store failed, or a bug: neither may kill a worker
            if isinstance(exc, ColibriError):
                log.error("run of %s failed: %s", job.label, exc)
            else:
                log.exception("run of %s stopped by an unexpected error", job.label)
            reason = str(exc) if isinstance(exc, ColibriError) else f"unexpected {exc!r}"
            failed = _outcome(job.container_name, RunStatus.FAILED, reason, run_id)
            attempt = _Attempt(self._close(failed))
        self._after(job, environment, attempt, trigger, started)
        return attempt.outcome

    def run_batch(
        self,
        environment: Environment,
        run_ids: Mapping[str, str],
        *,
        trigger: str,
        dry_run: bool = False,
    ) -> list[UpdateOutcome]:
        """Update the containers named by ``run_ids`` (name → its run row) in one pass of the
        pipeline: one check, then the pipeline's groups. Labels decide policy and gate; a
        bad digest is skipped as on a schedule. Never raises: failures are outcomes."""
        started = self.clock.monotonic()
        try:
            outcomes = self._batch(environment, run_ids, trigger, dry_run)
        except ColibriError as exc:
            log.error("batch run on %s failed: %s", environment.name, exc)
            outcomes = [
                self._close(_outcome(name, RunStatus.FAILED, str(exc), run_id))
                for name, run_id in run_ids.items()
            ]
        for outcome in outcomes:
            job = _Job(environment.id, outcome.container, AutoUpdateConfig())
            self._after_batch(job, environment, outcome, trigger, started)
        return outcomes

    def _batch(
        self, environment: Environment, run_ids: Mapping[str, str], trigger: str, dry_run: bool
    ) -> list[UpdateOutcome]:
        engine = self.tools.engines.engine_for(environment)
        controls = self.tools.controls
        check = CheckService(
            engine,
            self.tools.registry,
            tag_policy=_tag_policy(UpdatePolicy.DIGEST),
            controls=controls.for_environment(environment.name, engine) if controls else None,
        )
        report = check.check(CheckRequest(names=tuple(run_ids)))
        closed: list[UpdateOutcome] = []
        results = []
        for name, run_id in run_ids.items():
            result = next((r for r in report.results if r.container == name), None)
            if name in report.excluded or result is None:
                why = report.excluded.get(name, f"no container named {name!r}")
                status = RunStatus.SKIPPED if name in report.excluded else RunStatus.FAILED
                closed.append(self._close(_outcome(name, status, f"{name}: {why}", run_id)))
                continue
            self.metrics.observe_check(result.status)
            bad = self._bad_digest(environment, result)
            if bad is not None:
                closed.append(self._close(_outcome(name, RunStatus.SKIPPED, bad, run_id)))
                continue
            results.append(result)
        if not results:
            return closed
        options = replace(self.tools.options, dry_run=dry_run, trigger=trigger)
        pipeline = self._pipeline(engine, environment, _Job(environment.id, "", AutoUpdateConfig()))
        updated = pipeline.update(
            results, options, run_ids={r.container: run_ids[r.container] for r in results}
        )
        by_name = {result.container: result for result in results}
        for outcome in updated:
            if outcome.status is RunStatus.UPDATED and outcome.container in by_name:
                self._record_updated(engine, environment, by_name[outcome.container], outcome)
        return closed + list(updated)

    def _after_batch(
        self,
        job: _Job,
        environment: Environment,
        outcome: UpdateOutcome,
        trigger: str,
        started: float,
    ) -> None:
        self.metrics.observe_run(outcome.status, trigger, self.clock.monotonic() - started)
        if self.stores.bad_digests is not None:
            self.stores.bad_digests.note(
                environment.id,
                job.container_name,
                outcome.status,
                outcome.new_digest,
                outcome.reason,
                outcome.run_id,
            )
        if self.notifications is not None:
            self.notifications.notify_outcome(outcome, environment=environment.name, image="")

    def _monitor(self, slot: LabelSlot) -> UpdateOutcome:
        """Check a monitor-only container, record its status, tell of an update; no run."""
        name = slot.container_name
        try:
            environment = self.stores.environments.get(slot.environment_id)
            if environment is None:
                return _outcome(name, RunStatus.FAILED, "its environment no longer exists", None)
            check = CheckService(self.tools.engines.engine_for(environment), self.tools.registry)
            report = check.check(CheckRequest(names=(name,)))
            result = next((r for r in report.results if r.container == name), None)
            if result is None:
                return _outcome(name, RunStatus.SKIPPED, f"{name} was not checked", None)
            self.metrics.observe_check(result.status)
            self._record_status(
                ContainerStatus.from_check(
                    result, environment_id=environment.id, checked_at=self.clock.now()
                )
            )
            if self.notifications is not None:
                self.notifications.notify_check([result], environment=environment.name)
            status = (
                RunStatus.SKIPPED
                if result.status is CheckStatus.UPDATE_AVAILABLE
                else RunStatus.UP_TO_DATE
            )
            outcome = _outcome(name, status, f"monitor only: {result.status.value}", None)
        except ColibriError as exc:
            outcome = _outcome(name, RunStatus.FAILED, str(exc), None)
        self._record_slot(slot.environment_id, name, outcome)
        return outcome

    def _attempt(
        self,
        environment: Environment | None,
        job: _Job,
        trigger: str,
        run_id: str | None,
    ) -> _Attempt:
        name = job.container_name
        if environment is None or run_id is None:
            reason = f"environment {job.environment_id} no longer exists"
            return _Attempt(self._close(_outcome(name, RunStatus.FAILED, reason, run_id)))
        engine = self.tools.engines.engine_for(environment)
        controls = self.tools.controls
        check = CheckService(
            engine,
            self.tools.registry,
            tag_policy=_tag_policy(job.config.policy),
            controls=controls.for_environment(environment.name, engine) if controls else None,
        )
        report = check.check(CheckRequest(names=(name,)))
        if name in report.excluded:
            reason = f"{name}: {report.excluded[name]}"
            return _Attempt(self._close(_outcome(name, RunStatus.SKIPPED, reason, run_id)))
        result = next((r for r in report.results if r.container == name), None)
        if result is None:  # not found by exactly this name (an ID prefix does not count)
            reason = f"no container named {name!r} in environment {environment.name}"
            return _Attempt(self._close(_outcome(name, RunStatus.FAILED, reason, run_id)))
        self.metrics.observe_check(result.status)
        self._record_status(
            ContainerStatus.from_check(
                result, environment_id=environment.id, checked_at=self.clock.now()
            )
        )
        bad = self._bad_digest(environment, result)
        if bad is not None:
            return _Attempt(self._close(_outcome(name, RunStatus.SKIPPED, bad, run_id)))
        options = replace(self.tools.options, dry_run=False, trigger=trigger)
        if job.cleanup is not None:
            options = replace(options, cleanup=options.cleanup and job.cleanup)
        outcome = self._pipeline(engine, environment, job).update(
            [result], options, run_ids={name: run_id}
        )[0]
        if outcome.status is RunStatus.UPDATED:
            self._record_updated(engine, environment, result, outcome)
        skipped = outcome.status is RunStatus.SKIPPED and result.checked is not None
        if skipped and job.setting is not None and result.checked is not None:
            self._wait_for_chance(job.setting, result, result.checked)
        return _Attempt(outcome, result.image)

    def _wait_for_chance(
        self, setting: AutoUpdateSetting, result: CheckResult, container: Container
    ) -> None:
        """A run the controls held back (a closed window, a candidate too young) runs again
        as soon as it may, when that comes before its next slot."""
        try:
            expected = expected_length(self.tools.options.verify, container.labels)
        except ColibriError:
            return
        moment = next_chance(result.notes, self.clock.now(), expected)
        current = self.stores.auto_updates.get(setting.id)
        if moment is None or current is None or current.next_run_at is None:
            return
        if moment < current.next_run_at:
            self.stores.auto_updates.claim(setting.id, current.next_run_at, moment)

    def _bad_digest(self, environment: Environment, result: CheckResult) -> str | None:
        """Why the candidate is not tried: it failed on this container before."""
        store = self.stores.bad_digests
        digest = result.remote_digest
        if store is None or result.status is not CheckStatus.UPDATE_AVAILABLE or not digest:
            return None
        bad = store.blocking(environment.id, result.container, digest)
        return None if bad is None else skip_reason(bad)

    def _pipeline(self, engine: Engine, environment: Environment, job: _Job) -> UpdatePipeline:
        """The pipeline for one run, with the setting's gate; the claims of this process."""
        return UpdatePipeline(
            engine,
            self.stores.journal,
            self.clock,
            environment=environment.name,
            gate=_SettingGate(self.tools.gates, setting_overrides(job.config)),
            prober=self.tools.prober,
            registry_auth=self.tools.registry_auth,
            claims=self._claims,
            hand_off=self.tools.self_updater,
            units=self.tools.units,
        )

    def _start_row(self, environment: Environment, name: str, trigger: str) -> str:
        run = NewRun(environment.name, name, "", "", trigger=trigger, run_id=secrets.token_hex(16))
        return self.stores.journal.start_run(run).id

    def _close(self, outcome: UpdateOutcome) -> UpdateOutcome:
        return close_run(self.stores.journal, outcome)

    def _record_updated(
        self,
        engine: Engine,
        environment: Environment,
        before: CheckResult,
        outcome: UpdateOutcome,
    ) -> None:
        """The container is now up to date on the new digest (under a new ID)."""
        try:
            container_id = engine.get_container(before.container).id
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
        job: _Job,
        environment: Environment | None,
        attempt: _Attempt,
        trigger: str,
        started: float,
    ) -> None:
        """Metrics, the result, a bad digest, the notification: each on its own, never
        raising."""
        outcome = attempt.outcome
        self.metrics.observe_run(outcome.status, trigger, self.clock.monotonic() - started)
        if job.setting is not None:
            self._record_result(job.setting, outcome)
        else:
            self._record_slot(job.environment_id, job.container_name, outcome)
        if self.stores.bad_digests is not None and environment is not None:
            self.stores.bad_digests.note(
                environment.id,
                job.container_name,
                outcome.status,
                outcome.new_digest,
                outcome.reason,
                outcome.run_id,
            )
        if self.notifications is None or not job.config.notify or environment is None:
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

    def _record_slot(self, environment_id: int, name: str, outcome: UpdateOutcome) -> None:
        """The result of a label-driven run on its slot (a failure pushes the next one
        back by the first backoff step)."""
        if self.stores.slots is None:
            return
        pushed = None
        if outcome.status in FAILED_STATUSES:
            pushed = self.clock.now() + failure_backoff(1)
        try:
            self.stores.slots.record_result(
                environment_id, name, outcome.status, run_id=outcome.run_id, next_run_at=pushed
            )
        except ColibriError as exc:
            log.error("could not record the result of %s: %s", name, exc)

    def _log(self, run_id: str, message: str) -> None:
        try:
            self.stores.journal.log(run_id, "WARNING", message)
        except ColibriError as exc:
            log.warning("could not log to run %s: %s", run_id, exc)


class _SettingGate:
    """The setting's gate, built when the first candidate image is evaluated (a run that
    never gets that far builds none)."""

    def __init__(self, gates: GateFactory, overrides: GateOverrides) -> None:
        self.gates = gates
        self.overrides = overrides
        self._gate: Gate | None = None

    def evaluate(self, request: GateRequest) -> GateVerdict:
        if self._gate is None:
            self._gate = self.gates.gate_for(self.overrides)
        return self._gate.evaluate(request)


def _outcome(name: str, status: RunStatus, reason: str, run_id: str | None) -> UpdateOutcome:
    return UpdateOutcome(name, status, reason, run_id=run_id)


def _tag_policy(policy: UpdatePolicy) -> Callable[[Container], TagRules | None]:
    """The setting's policy; for ``digest``, what the container's labels say."""
    if policy is UpdatePolicy.DIGEST:
        return lambda container: tag_rules(container.labels)
    return lambda container: tag_rules(container.labels, default_policy=policy.value)
