"""Replace one container's image without ever losing the container.

The transaction (docs/architecture.md, "One update, step by step"): resolve, pull by digest
and point the tag at it, gate, snapshot, create under a temporary name, rename the old one
aside and the new one into place, stop the old one, start the new one, verify, then commit
(remove the old container) or undo by the one rollback rule (:mod:`colibri.update.undo`).

The pipeline (:mod:`colibri.update.pipeline`) holds the container's lock and has made the run
row before a transaction runs. Each step's journal row (a typed payload from
:mod:`colibri.domain.steps`) is written before its effect; ``failpoint`` kills the process
right after the named step's effect, for crash tests. The old container is never removed
before the new one has been verified; downtime is only the stop -> start window.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from colibri.concurrency import Once
from colibri.domain.clone import clone_config, created_image_problem, recorded_reference
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.health import VerifyPolicy
from colibri.domain.hooks import HookAction, HookPhase
from colibri.domain.journal import RunStatus, Step
from colibri.domain.ports import Clock, Engine, Gate, Journal, Prober, Units
from colibri.domain.refs import ImageRef
from colibri.domain.steps import (
    CommitStep,
    CreateStep,
    DependentsStep,
    DoneStep,
    GateStep,
    PullStep,
    RenameNewStep,
    RenameOldStep,
    ResolveStep,
    RollbackStep,
    SnapshotStep,
    StartStep,
    StepPayload,
    StopStep,
    VerifyStep,
)
from colibri.domain.transient import aside_name, new_name
from colibri.domain.units import PODMAN_ENGINE, unit_of
from colibri.errors import ColibriError, UpdateError
from colibri.update.dependents import (
    SharerSwaps,
    declared_dependents,
    namespace_sharers,
    restart_all,
)
from colibri.update.hooks import HookRunner
from colibri.update.images import remove_unused_image
from colibri.update.model import AllowAll, UpdateOptions, UpdateOutcome, UpdateRequest
from colibri.update.undo import plan_for, settle
from colibri.update.unit_swap import UnitSwap, UnitUndo
from colibri.update.verify import Verifier

__all__ = ["Executor", "Pulls", "Transaction"]

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10

#: One pull per (repository, digest, platform) in a batch: the pulled image's ID.
Pulls = Once[tuple[str, str, str | None], str | None]


@dataclass(frozen=True)
class Transaction:
    """One update to run: its journal row exists and its container's lock is held (both by
    the pipeline); ``keepalive`` extends the lock while verification waits."""

    run_id: str
    request: UpdateRequest
    options: UpdateOptions
    keepalive: Callable[[], None] = lambda: None
    pulls: Pulls = field(default_factory=Once)


@dataclass
class _Run:
    """What one transaction knows as it goes."""

    id: str
    request: UpdateRequest
    options: UpdateOptions
    keepalive: Callable[[], None]
    pulls: Pulls
    old_id: str
    old_image_id: str
    sharers: SharerSwaps  # the namespace sharers' swaps (none until the switch finds them)
    new_image_id: str | None = None
    new_id: str | None = None
    temp_name: str = ""
    aside_name: str = ""
    tag_ref: str = ""
    previous_tag_image: str | None = None
    was_running: bool = True
    downtime_ms: int | None = None
    inspect: Mapping[str, Any] = field(default_factory=dict)
    old_config: Mapping[str, Any] = field(default_factory=dict)
    new_config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.request.container.name


class Executor:
    """Runs update transactions against one engine, journaled in the store."""

    def __init__(
        self,
        engine: Engine,
        journal: Journal,
        clock: Clock,
        *,
        gate: Gate | None = None,
        prober: Prober | None = None,
        registry_auth: Callable[[ImageRef], Mapping[str, str] | None] | None = None,
        units: Units | None = None,
        hooks: HookRunner | None = None,
    ) -> None:
        self.engine = engine
        self.hooks = hooks
        self.journal = journal
        self.clock = clock
        self.gate: Gate = gate or AllowAll()
        self.verifier = Verifier(engine, clock, prober)
        self.registry_auth = registry_auth or (lambda _ref: None)
        self.unit_swap = UnitSwap(engine, journal, units, self.verifier)

    def run(self, transaction: Transaction) -> UpdateOutcome:
        """The whole transaction for one container; never raises for expected failures."""
        request = transaction.request
        container = request.container
        run = _Run(
            transaction.run_id,
            request,
            transaction.options,
            transaction.keepalive,
            transaction.pulls,
            container.id,
            container.image_id,
            SharerSwaps(self.engine, self.verifier),
        )
        try:
            return self._transact(run)
        except ColibriError as exc:  # the journal itself failed: leave the run to recovery
            log.error("update of %s stopped: %s", run.name, exc)
            return self._outcome(run, RunStatus.FAILED, f"{exc}; run `colibri recover`")

    def _transact(self, run: _Run) -> UpdateOutcome:
        unit = unit_of(run.request.container.labels) if self.engine.kind == PODMAN_ENGINE else None
        try:
            early = self._hook_before(run, HookPhase.PRE_CHECK)
            early = early or self._prepare(run, snapshot=unit is None)
            early = early or self._hook_before(run, HookPhase.PRE_UPDATE)
            if early is not None:
                return early
            if unit is not None:
                return self._unit_transact(run, unit)
            self._create(run)
        except ColibriError as exc:
            return self._undo(run, exc, RunStatus.FAILED)
        try:
            self._switch(run)
            self._hook_after_start(run)
            self.verifier.verify(run.new_id or "", self._verify_policy(run), run.keepalive)
            self._failpoint(run, Step.VERIFY)
            self._follow(run)
        except ColibriError as exc:
            self._step(run, RollbackStep(str(exc), run.old_id, run.new_id, run.was_running))
            return self._undo(run, exc, RunStatus.ROLLED_BACK)
        return self._commit(run)

    def _unit_transact(self, run: _Run, unit: str) -> UpdateOutcome:
        """The unit kind of the transaction (:mod:`colibri.update.unit_swap`): its unit
        recreates the container, so the switch is a restart, and the undo another one."""
        try:
            run.new_id = self.unit_swap.switch(
                run.id,
                run.name,
                unit,
                run.new_image_id or "",
                self._verify_policy(run),
                run.keepalive,
                lambda step: self._failpoint(run, step),
            )
        except ColibriError as exc:
            reason = str(exc)
            log.warning("update of %s through %s failed (%s); rolling back", run.name, unit, reason)
            self._step(run, RollbackStep(reason, run.old_id, unit=unit))
            try:
                undo = UnitUndo(run.tag_ref, run.previous_tag_image)
                self.unit_swap.undo(run.id, run.name, unit, undo)
            except ColibriError as undo_error:
                message = f"{reason}; rollback failed: {undo_error}; run `colibri recover`"
                self.journal.log(run.id, "ERROR", message)
                return self._outcome(run, RunStatus.FAILED, message)
            return self._finish(run, RunStatus.ROLLED_BACK, reason)
        self._step(run, CommitStep(run.old_id, run.new_id or "", unit))
        self._failpoint(run, Step.COMMIT)
        return self._finish(run, RunStatus.UPDATED, f"updated through {unit} and verified")

    def _prepare(self, run: _Run, *, snapshot: bool = True) -> UpdateOutcome | None:
        """resolve, pull, gate, snapshot: nothing visible changes yet."""
        request = run.request
        self._step(
            run, ResolveStep(str(request.ref), request.remote_digest, run.old_id, run.old_image_id)
        )
        self._failpoint(run, Step.RESOLVE)
        self._pull(run)
        if run.new_image_id == run.old_image_id:
            return self._finish(run, RunStatus.UP_TO_DATE, "the pulled image is the running one")
        verdict = self._gate(run)
        if not verdict.allowed:
            return self._blocked(run, verdict.reason)
        if snapshot:
            self._snapshot(run)
        return None

    def _pull(self, run: _Run) -> None:
        """Pull the digest (once per batch, however many containers use it), then point the
        tag at it."""
        request = run.request
        ref = request.ref
        tag = ref.tracked_tag or "latest"
        tag_ref = f"{ref.familiar_name}:{tag}"
        tagged = self.engine.inspect_image(tag_ref)
        previous = tagged.id if tagged else None
        run.tag_ref, run.previous_tag_image = tag_ref, previous
        self._step(
            run, PullStep(ref.name, request.remote_digest, tag_ref, request.platform, previous)
        )
        key = (ref.name, request.remote_digest, request.platform)
        image_id = run.pulls.get(key, lambda: self._pull_image(ref, request))
        if image_id is None:
            raise UpdateError("the pulled image cannot be found by its digest", step="pull")
        run.new_image_id = image_id
        self.journal.update_run(run.id, new_image_id=image_id)
        if image_id != run.old_image_id:
            self.engine.tag_image(image_id, ref.familiar_name, tag)
        self._failpoint(run, Step.PULL)

    def _pull_image(self, ref: ImageRef, request: UpdateRequest) -> str | None:
        auth = self.registry_auth(ref)
        self.engine.pull(ref.name, request.remote_digest, platform=request.platform, auth=auth)
        pulled = self.engine.inspect_image(f"{ref.name}@{request.remote_digest}")
        return pulled.id if pulled else None

    def _gate(self, run: _Run) -> GateVerdict:
        """Ask the gate about exactly the pulled digest. The gate changes no container, so
        its journal row is written after the decision and holds it (policy, reasons, scan
        record ids, signature result): the record of why an image was allowed or blocked."""
        request = run.request
        verdict = self.gate.evaluate(
            GateRequest(
                ref=request.ref,
                digest=request.remote_digest,
                image_id=run.new_image_id or "",
                running_digest=request.current_digest,
                running_image_id=run.old_image_id,
                labels=request.container.labels,
                platform_digest=request.expected_digest,
            )
        )
        payload = GateStep(
            request.remote_digest,
            run.new_image_id,
            verdict.allowed,
            verdict.reason,
            tuple(verdict.warnings),
            dict(verdict.details),
        )
        self._step(run, payload)
        for warning in verdict.warnings:
            self.journal.log(run.id, "WARNING", warning)
        self._failpoint(run, Step.GATE)
        return verdict

    def _snapshot(self, run: _Run) -> None:
        inspect = self.engine.inspect_container(run.old_id)
        run.was_running = bool((inspect.get("State") or {}).get("Running"))
        old_image = self.engine.inspect_image_raw(run.old_image_id) or {}
        new_image = self.engine.inspect_image_raw(run.new_image_id or "") or {}
        run.inspect = inspect
        run.old_config = old_image.get("Config") or {}
        run.new_config = new_image.get("Config") or {}
        self._step(run, SnapshotStep(inspect, run.was_running, run.old_config, run.new_config))
        self._failpoint(run, Step.SNAPSHOT)

    def _create(self, run: _Run) -> None:
        self.verifier.check_probe(run.inspect, self._verify_policy(run))
        ref, digest = run.request.ref, run.request.remote_digest
        image = recorded_reference(run.request.container.config_image, ref.tracked_tag, digest)
        plan = clone_config(run.inspect, run.old_config, run.new_config, image=image)
        run.temp_name = new_name(run.name, run.id)
        run.aside_name = aside_name(run.name, run.id)
        self._step(run, CreateStep(run.temp_name, run.aside_name, plan.body, dict(plan.networks)))
        run.new_id = self.engine.create_container(plan.body, run.temp_name)
        for network, endpoint in plan.networks.items():
            self.engine.connect_network(network, run.new_id, endpoint)
        problem = created_image_problem(
            self.engine.inspect_container(run.new_id), run.new_image_id or ""
        )
        if problem:
            raise UpdateError(problem, step="create")
        self._failpoint(run, Step.CREATE)

    def _switch(self, run: _Run) -> None:
        """Rename the old container aside and the new one into place (both allowed while the
        old one runs), then stop the old one and start the new one: the only downtime. What
        guards the stop and the start is journaled before the stop, so nothing but the two
        calls happens between them."""
        new_id = run.new_id or ""
        run.sharers.records = namespace_sharers(
            self.engine, run.request.container, run.old_id, run.id
        )
        self._step(run, RenameOldStep(run.old_id, new_id, run.aside_name))
        self.engine.rename_container(run.old_id, run.aside_name)
        self._failpoint(run, Step.RENAME_OLD)
        self._step(run, RenameNewStep(run.old_id, new_id, run.name))
        self.engine.rename_container(new_id, run.name)
        self._failpoint(run, Step.RENAME_NEW)
        self._step(
            run,
            StopStep(
                run.old_id,
                new_id,
                run.temp_name,
                run.aside_name,
                run.was_running,
                tuple(run.sharers.records),
            ),
        )
        self._step(run, StartStep(new_id))
        timeout = _stop_timeout(run.inspect)
        run.sharers.stop_all()
        started = self.clock.monotonic()
        if run.was_running:
            self.engine.stop_container(run.old_id, timeout)
        self._failpoint(run, Step.STOP)
        if run.was_running:
            self.engine.start_container(new_id)
            run.downtime_ms = round((self.clock.monotonic() - started) * 1000)
        self._failpoint(run, Step.START)
        self._step(run, VerifyStep(new_id))

    def _follow(self, run: _Run) -> None:
        """The dependents: namespace sharers recreated in the new namespace, declared
        dependents restarted (docs/architecture.md: handled in order, after the verification)."""
        sharers = run.sharers.records
        declared = declared_dependents(self.engine, run.request.container, run.old_id)
        if not sharers and not declared:
            return
        restart = tuple(container.id for container in declared)
        self._step(run, DependentsStep(run.new_id or "", tuple(sharers), restart))
        run.sharers.recreate_all(run.new_id or "")
        self._failpoint(run, Step.DEPENDENTS)
        for problem in restart_all(self.engine, declared):
            self.journal.log(run.id, "WARNING", problem)

    def _verify_policy(self, run: _Run) -> VerifyPolicy | None:
        """``None`` (nothing to watch) when the old container was not running."""
        if not run.was_running:
            return None
        return run.options.verify.with_labels(run.request.container.labels)

    def _commit(self, run: _Run) -> UpdateOutcome:
        self._step(run, CommitStep(run.old_id, run.new_id or ""))
        for old_id in [run.old_id, *run.sharers.old_ids()]:
            try:
                self.engine.remove_container(old_id, force=True)
            except ColibriError as exc:  # the update stands; the old one is only left over
                self.journal.log(run.id, "WARNING", f"could not remove {old_id[:12]}: {exc}")
        self._failpoint(run, Step.COMMIT)
        if run.options.cleanup:
            self._remove_unused_image(run, run.old_image_id)
        self._post_check(run)
        return self._finish(run, RunStatus.UPDATED, "updated and verified")

    def _hook_before(self, run: _Run, phase: HookPhase) -> UpdateOutcome | None:
        """pre-check (before anything) and pre-update (pulled and gated, nothing created yet)
        run in the old container: exit 75 skips the update, a failure stops it; either way
        what was done is undone and the old container is untouched."""
        if self.hooks is None or not run.request.container.running:
            return None
        labels = run.request.container.labels
        action, reason = self.hooks.run(run.id, phase, run.old_id, labels)
        if action is HookAction.CONTINUE:
            return None
        status = RunStatus.SKIPPED if action is HookAction.SKIP else RunStatus.FAILED
        if phase is HookPhase.PRE_CHECK:
            return self._finish(run, status, reason)
        outcome = self._undo(run, UpdateError(reason, step="hook"), status)
        if outcome.status is status and run.new_image_id not in (None, run.old_image_id):
            self._remove_unused_image(run, run.new_image_id or "")
        return outcome

    def _hook_after_start(self, run: _Run) -> None:
        """post-update runs in the new container once it started: a failure rolls back."""
        if self.hooks is None or not run.was_running:
            return
        labels = run.request.container.labels
        action, reason = self.hooks.run(run.id, HookPhase.POST_UPDATE, run.new_id or "", labels)
        if action is HookAction.ROLLBACK:
            raise UpdateError(reason, step="hook")

    def _post_check(self, run: _Run) -> None:
        """post-check runs in the container that now has the name; it only records."""
        if self.hooks is None or not run.was_running:
            return
        labels = run.request.container.labels
        _, reason = self.hooks.run(run.id, HookPhase.POST_CHECK, run.new_id or "", labels)
        if reason:
            self.journal.log(run.id, "WARNING", reason)

    def _remove_unused_image(self, run: _Run, image_id: str) -> None:
        self.journal.log(run.id, *remove_unused_image(self.engine, run.request.ref, image_id))

    def _blocked(self, run: _Run, reason: str) -> UpdateOutcome:
        outcome = self._undo(run, UpdateError(reason, step="gate"), RunStatus.BLOCKED)
        if outcome.status is RunStatus.BLOCKED and run.new_image_id:
            self._remove_unused_image(run, run.new_image_id)
        return outcome

    def _undo(self, run: _Run, exc: ColibriError, status: RunStatus) -> UpdateOutcome:
        """Undo what the journal says was done, by the rule recovery follows
        (:mod:`colibri.update.undo`). ``status`` is the outcome when the undo succeeds and
        the old container is still there; if the undo itself fails the run stays open for
        ``colibri recover`` (never reported as rolled back when it was not)."""
        reason = str(exc)
        if status is not RunStatus.BLOCKED:
            log.warning("update of %s failed (%s); undoing it", run.name, reason)
            self.journal.log(run.id, "ERROR", reason)
        try:
            record = self.journal.get_run(run.id)
            plan = plan_for(self.engine, record)
            settle(self.engine, self.verifier, record, plan)
        except ColibriError as undo_error:
            message = f"{reason}; rollback failed: {undo_error}; run `colibri recover`"
            self.journal.log(run.id, "ERROR", message)
            return self._outcome(run, RunStatus.FAILED, message)
        if record.reached(Step.CREATE) and plan.status is not RunStatus.ROLLED_BACK:
            status = RunStatus.FAILED  # the old container was gone (the new one, if any, kept)
            reason = f"{reason}; {plan.reason}"
        if status is RunStatus.ROLLED_BACK:
            self._failpoint(run, Step.ROLLBACK)
        return self._finish(run, status, reason)

    def _finish(self, run: _Run, status: RunStatus, reason: str) -> UpdateOutcome:
        self._step(run, DoneStep(status.value))
        self.journal.finish_run(
            run.id,
            status,
            reason=reason,
            downtime_ms=run.downtime_ms,
            new_image_id=run.new_image_id,
        )
        log.info("%s: %s (%s)", run.name, status.value, reason)
        return self._outcome(run, status, reason)

    def _outcome(self, run: _Run, status: RunStatus, reason: str) -> UpdateOutcome:
        request = run.request
        return UpdateOutcome(
            run.name,
            status,
            reason,
            request.current_digest,
            request.remote_digest,
            run.old_image_id,
            run.new_image_id,
            run.downtime_ms,
            run.id,
        )

    def _step(self, run: _Run, payload: StepPayload) -> None:
        self.journal.record_step(run.id, payload.STEP, payload.as_dict())

    def _failpoint(self, run: _Run, step: Step) -> None:
        if run.options.failpoint == step.value:
            log.warning("failpoint %s reached: exiting", step.value)
            logging.shutdown()
            os._exit(137)


def _stop_timeout(inspect: Mapping[str, Any]) -> int:
    """The container's own StopTimeout, else Docker's default."""
    value = (inspect.get("Config") or {}).get("StopTimeout")
    return value if isinstance(value, int) and value >= 0 else DEFAULT_STOP_TIMEOUT
