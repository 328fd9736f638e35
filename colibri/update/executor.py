"""Replace one container's image without ever losing the container.

The transaction (ARCHITECTURE.md, "An update, step by step"): resolve, pull by digest and point
the tag at it, gate, snapshot, create under a temporary name, stop, rename the old one aside,
rename the new one into place, start, verify, then commit (remove the old container) or roll
back (remove the new one, give the old one its name back, start it, verify it).

Each step's journal row is written before its effect; ``failpoint`` kills the process right after
the named step's effect, for crash tests. The old container is never removed before the new one
has been verified; downtime is only the stop -> start window.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.clone import clone_config, created_image_problem, recorded_reference
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.health import VerifyPolicy
from colibri.domain.holders import HEARTBEAT_SECONDS
from colibri.domain.journal import LOCK_TTL_SECONDS, LockOwner, NewRun, RunStatus, Step
from colibri.domain.model import Container
from colibri.domain.ports import Clock, Engine, Gate, Journal, Prober, Units
from colibri.domain.refs import ImageRef
from colibri.domain.transient import aside_name, new_name, replaced_by
from colibri.domain.units import PODMAN_ENGINE, unit_of
from colibri.errors import ColibriError, EngineNotFound, LockHeld, UpdateError
from colibri.instance import this_process
from colibri.update.dependents import (
    SharerSwaps,
    declared_dependents,
    namespace_sharers,
    restart_all,
)
from colibri.update.heartbeat import Heartbeat
from colibri.update.images import remove_unused_image
from colibri.update.model import AllowAll, UpdateOptions, UpdateOutcome, UpdateRequest
from colibri.update.unit_swap import UnitSwap, UnitUndo
from colibri.update.verify import Verifier

__all__ = ["AllowAll", "Executor", "UpdateOptions", "UpdateOutcome", "UpdateRequest"]

log = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT = 10


@dataclass
class _Run:
    """What one transaction knows as it goes."""

    id: str
    request: UpdateRequest
    options: UpdateOptions
    owner: LockOwner
    key: str
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
    renamed_old: bool = False
    renamed_new: bool = False
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
        environment: str = "local",
        gate: Gate | None = None,
        prober: Prober | None = None,
        registry_auth: Callable[[ImageRef], Mapping[str, str] | None] | None = None,
        units: Units | None = None,
    ) -> None:
        self.engine = engine
        self.journal = journal
        self.clock = clock
        self.environment = environment
        self.gate: Gate = gate or AllowAll()
        self.verifier = Verifier(engine, clock, prober)
        self.registry_auth = registry_auth or (lambda _ref: None)
        self.unit_swap = UnitSwap(engine, journal, units, self.verifier)

    def lock_key(self, container_name: str) -> str:
        return f"{self.environment}/{container_name}"

    def updating(self, container_name: str) -> LockOwner | None:
        """Who is updating ``container_name`` right now (its lock's holder), if anyone."""
        return self.journal.lock_holder(self.lock_key(container_name))

    def update(self, request: UpdateRequest, options: UpdateOptions) -> UpdateOutcome:
        """Run the whole transaction for one container; never raises for expected failures."""
        if options.dry_run:
            return self._would_update(request)
        run = self._begin(request, options)
        if isinstance(run, UpdateOutcome):
            return run
        try:
            with Heartbeat(self._keepalive(run), HEARTBEAT_SECONDS):
                return self._transact(run)
        except ColibriError as exc:  # the journal itself failed: leave the run to recovery
            log.error("update of %s stopped: %s", run.name, exc)
            return UpdateOutcome(
                run.name,
                RunStatus.FAILED,
                f"{exc}; run `colibri recover`",
                request.current_digest,
                request.remote_digest,
                run.old_image_id,
                run.new_image_id,
                run.downtime_ms,
                run.id,
            )
        finally:
            self._release(run)

    def _release(self, run: _Run) -> None:
        self._unlock(run.key, run.owner)

    def _unlock(self, key: str, owner: LockOwner) -> None:
        try:
            self.journal.release_lock(key, owner)
        except ColibriError as exc:
            log.warning("could not release the lock on %s: %s (it expires)", key, exc)

    def _would_update(self, request: UpdateRequest) -> UpdateOutcome:
        container = request.container
        log.info("(dry run) would update %s to %s", container.name, request.remote_digest)
        return UpdateOutcome(
            container.name,
            RunStatus.WOULD_UPDATE,
            f"would pull {request.ref.by_digest(request.remote_digest)} and recreate",
            old_digest=request.current_digest,
            new_digest=request.remote_digest,
            old_image_id=container.image_id,
        )

    def _begin(self, request: UpdateRequest, options: UpdateOptions) -> _Run | UpdateOutcome:
        container = request.container
        run_id = options.run_id or secrets.token_hex(16)
        owner = this_process().owner(run_id)
        key = self.lock_key(container.name)
        try:
            self.journal.acquire_lock(key, owner, LOCK_TTL_SECONDS)
        except LockHeld as exc:
            return self._not_started(container.name, RunStatus.SKIPPED, str(exc), options)
        try:
            changed = self._changed_since_check(container)
        except ColibriError as exc:
            changed = f"cannot inspect {container.name} again before updating it: {exc}"
            self._unlock(key, owner)
            return self._not_started(container.name, RunStatus.FAILED, changed, options)
        if changed is not None:
            self._unlock(key, owner)
            return self._not_started(container.name, RunStatus.SKIPPED, changed, options)
        run = NewRun(
            environment=self.environment,
            container_name=container.name,
            container_id=container.id,
            image=container.config_image,
            trigger=options.trigger,
            old_image_id=container.image_id,
            old_digest=request.current_digest,
            new_digest=request.remote_digest,
            run_id=run_id,
        )
        if options.run_id:  # the caller's run row exists: fill in what the check found
            self.journal.update_run(
                run_id,
                container_id=run.container_id,
                image=run.image,
                old_image_id=run.old_image_id,
                old_digest=run.old_digest,
                new_digest=run.new_digest,
            )
        else:
            self.journal.start_run(run)
        sharers = SharerSwaps(self.engine, self.verifier)
        return _Run(run_id, request, options, owner, key, container.id, container.image_id, sharers)

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

    def _not_started(
        self, name: str, status: RunStatus, reason: str, options: UpdateOptions
    ) -> UpdateOutcome:
        """An outcome decided before the run began (its caller's run row, if any, closed)."""
        if options.run_id:
            self.journal.finish_run(options.run_id, status, reason=reason)
        return UpdateOutcome(name, status, reason, run_id=options.run_id)

    def _transact(self, run: _Run) -> UpdateOutcome:
        unit = unit_of(run.request.container.labels) if self.engine.kind == PODMAN_ENGINE else None
        try:
            early = self._prepare(run, snapshot=unit is None)
            if early is not None:
                return early
            if unit is not None:
                return self._unit_transact(run, unit)
            self._create(run)
        except ColibriError as exc:
            return self._abort(run, exc)
        try:
            self._switch(run)
            self.verifier.verify(run.new_id or "", self._verify_policy(run), self._keepalive(run))
            self._failpoint(run, Step.VERIFY)
            self._follow(run)
        except ColibriError as exc:
            return self._rollback(run, exc)
        return self._commit(run)

    def _unit_transact(self, run: _Run, unit: str) -> UpdateOutcome:
        """The unit kind of the transaction (:mod:`colibri.update.unit_swap`)."""
        try:
            run.new_id = self.unit_swap.switch(
                run.id,
                run.name,
                unit,
                run.new_image_id or "",
                self._verify_policy(run),
                self._keepalive(run),
                lambda step: self._failpoint(run, step),
            )
        except ColibriError as exc:
            reason = str(exc)
            log.warning("update of %s through %s failed (%s); rolling back", run.name, unit, reason)
            self._step(run, Step.ROLLBACK, reason=reason, old_id=run.old_id, unit=unit)
            try:
                undo = UnitUndo(run.tag_ref, run.previous_tag_image)
                self.unit_swap.undo(run.id, run.name, unit, undo)
            except ColibriError as undo_error:
                message = f"{reason}; rollback failed: {undo_error}; run `colibri recover`"
                self.journal.log(run.id, "ERROR", message)
                return UpdateOutcome(run.name, RunStatus.FAILED, message, run_id=run.id)
            return self._finish(run, RunStatus.ROLLED_BACK, reason)
        self._step(run, Step.COMMIT, old_id=run.old_id, new_id=run.new_id, unit=unit)
        self._failpoint(run, Step.COMMIT)
        return self._finish(run, RunStatus.UPDATED, f"updated through {unit} and verified")

    def _prepare(self, run: _Run, *, snapshot: bool = True) -> UpdateOutcome | None:
        """resolve, pull, gate, snapshot: nothing visible changes yet."""
        request = run.request
        self._step(
            run,
            Step.RESOLVE,
            ref=str(request.ref),
            digest=request.remote_digest,
            old_id=run.old_id,
            old_image_id=run.old_image_id,
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
        ref = run.request.ref
        tag = ref.tracked_tag or "latest"
        run.tag_ref = f"{ref.familiar_name}:{tag}"
        tagged = self.engine.inspect_image(run.tag_ref)
        run.previous_tag_image = tagged.id if tagged else None
        self._step(
            run,
            Step.PULL,
            repository=ref.name,
            digest=run.request.remote_digest,
            platform=run.request.platform,
            tag_ref=run.tag_ref,
            previous_tag_image=run.previous_tag_image,
        )
        self.engine.pull(
            ref.name,
            run.request.remote_digest,
            platform=run.request.platform,
            auth=self.registry_auth(ref),
        )
        pulled = self.engine.inspect_image(f"{ref.name}@{run.request.remote_digest}")
        if pulled is None:
            raise UpdateError("the pulled image cannot be found by its digest", step="pull")
        run.new_image_id = pulled.id
        self.journal.update_run(run.id, new_image_id=pulled.id)
        if pulled.id != run.old_image_id:
            self.engine.tag_image(pulled.id, ref.familiar_name, tag)
        self._failpoint(run, Step.PULL)

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
        self._step(
            run,
            Step.GATE,
            digest=request.remote_digest,
            image_id=run.new_image_id,
            allowed=verdict.allowed,
            reason=verdict.reason,
            warnings=list(verdict.warnings),
            details=dict(verdict.details),
        )
        for warning in verdict.warnings:
            self.journal.log(run.id, "WARNING", warning)
        self._failpoint(run, Step.GATE)
        return verdict

    def _snapshot(self, run: _Run) -> None:
        inspect = self.engine.inspect_container(run.old_id)
        run.was_running = bool((inspect.get("State") or {}).get("Running"))
        old_image = self.engine.inspect_image_raw(run.old_image_id) or {}
        new_image = self.engine.inspect_image_raw(run.new_image_id or "") or {}
        self._step(
            run,
            Step.SNAPSHOT,
            inspect=inspect,
            was_running=run.was_running,
            old_image_config=old_image.get("Config") or {},
            new_image_config=new_image.get("Config") or {},
        )
        run.inspect = inspect
        run.old_config = old_image.get("Config") or {}
        run.new_config = new_image.get("Config") or {}
        self._failpoint(run, Step.SNAPSHOT)

    def _create(self, run: _Run) -> None:
        self.verifier.check_probe(run.inspect, self._verify_policy(run))
        ref, digest = run.request.ref, run.request.remote_digest
        image = recorded_reference(run.request.container.config_image, ref.tracked_tag, digest)
        plan = clone_config(run.inspect, run.old_config, run.new_config, image=image)
        run.temp_name = new_name(run.name, run.id)
        run.aside_name = aside_name(run.name, run.id)
        self._step(
            run,
            Step.CREATE,
            temp_name=run.temp_name,
            aside_name=run.aside_name,
            body=plan.body,
            networks=dict(plan.networks),
        )
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
        """rename the old container aside and the new one into place (both allowed while the
        old one runs), then stop the old one and start the new one: the only downtime."""
        new_id = run.new_id or ""
        run.sharers.records = namespace_sharers(
            self.engine, run.request.container, run.old_id, run.id
        )
        self._step(run, Step.RENAME_OLD, old_id=run.old_id, new_id=new_id, name=run.aside_name)
        self.engine.rename_container(run.old_id, run.aside_name)
        run.renamed_old = True
        self._failpoint(run, Step.RENAME_OLD)
        self._step(run, Step.RENAME_NEW, old_id=run.old_id, new_id=new_id, name=run.name)
        self.engine.rename_container(new_id, run.name)
        run.renamed_new = True
        self._failpoint(run, Step.RENAME_NEW)
        self._step(
            run,
            Step.STOP,
            old_id=run.old_id,
            new_id=new_id,
            temp_name=run.temp_name,
            aside_name=run.aside_name,
            was_running=run.was_running,
            dependents=[record.as_dict() for record in run.sharers.records],
        )
        run.sharers.stop_all()
        started = self.clock.monotonic()
        if run.was_running:
            self.engine.stop_container(run.old_id, _stop_timeout(run.inspect))
        self._failpoint(run, Step.STOP)
        self._step(run, Step.START, new_id=new_id)
        if run.was_running:
            self.engine.start_container(new_id)
            run.downtime_ms = round((self.clock.monotonic() - started) * 1000)
        self._failpoint(run, Step.START)
        self._step(run, Step.VERIFY, new_id=new_id)

    def _follow(self, run: _Run) -> None:
        """The dependents: namespace sharers recreated in the new namespace, declared
        dependents restarted (ARCHITECTURE.md: handled in order, after the verification)."""
        sharers = run.sharers.records
        declared = declared_dependents(self.engine, run.request.container, run.old_id)
        if not sharers and not declared:
            return
        self._step(
            run,
            Step.DEPENDENTS,
            new_id=run.new_id,
            recreate=[record.as_dict() for record in sharers],
            restart=[container.id for container in declared],
        )
        run.sharers.recreate_all(run.new_id or "")
        self._failpoint(run, Step.DEPENDENTS)
        for problem in restart_all(self.engine, declared):
            self.journal.log(run.id, "WARNING", problem)

    def _verify_policy(self, run: _Run) -> VerifyPolicy | None:
        """``None`` (nothing to watch) when the old container was not running."""
        if not run.was_running:
            return None
        return run.options.verify.with_labels(run.request.container.labels)

    def _keepalive(self, run: _Run) -> Callable[[], None]:
        def refresh() -> None:
            self.journal.refresh_lock(run.key, run.owner, LOCK_TTL_SECONDS)

        return refresh

    def _commit(self, run: _Run) -> UpdateOutcome:
        self._step(run, Step.COMMIT, old_id=run.old_id, new_id=run.new_id)
        for old_id in [run.old_id, *run.sharers.old_ids()]:
            try:
                self.engine.remove_container(old_id, force=True)
            except ColibriError as exc:  # the update stands; the old one is only left over
                self.journal.log(run.id, "WARNING", f"could not remove {old_id[:12]}: {exc}")
        self._failpoint(run, Step.COMMIT)
        if run.options.cleanup:
            self._remove_unused_image(run, run.old_image_id)
        return self._finish(run, RunStatus.UPDATED, "updated and verified")

    def _remove_unused_image(self, run: _Run, image_id: str) -> None:
        self.journal.log(run.id, *remove_unused_image(self.engine, run.request.ref, image_id))

    def _abort(self, run: _Run, exc: ColibriError) -> UpdateOutcome:
        """A failure before the old container was touched: clean up, keep it running."""
        self.journal.log(run.id, "ERROR", str(exc))
        if run.new_id or run.temp_name:
            self._remove_quietly(run, run.new_id or run.temp_name)
        self._restore_tag(run)
        return self._finish(run, RunStatus.FAILED, str(exc))

    def _blocked(self, run: _Run, reason: str) -> UpdateOutcome:
        self._restore_tag(run)
        if run.new_image_id:
            self._remove_unused_image(run, run.new_image_id)
        return self._finish(run, RunStatus.BLOCKED, reason)

    def _rollback(self, run: _Run, exc: ColibriError) -> UpdateOutcome:
        """Undo a started switch. If the undo itself fails the run stays open for
        ``colibri recover`` (never reported as rolled back when it was not)."""
        reason = str(exc)
        log.warning("update of %s failed (%s); rolling back", run.name, reason)
        self._step(
            run,
            Step.ROLLBACK,
            reason=reason,
            old_id=run.old_id,
            new_id=run.new_id,
            was_running=run.was_running,
        )
        try:
            self._undo_switch(run)
        except ColibriError as undo_error:
            message = f"{reason}; rollback failed: {undo_error}; run `colibri recover`"
            self.journal.log(run.id, "ERROR", message)
            return UpdateOutcome(
                run.name,
                RunStatus.FAILED,
                message,
                run.request.current_digest,
                run.request.remote_digest,
                run.old_image_id,
                run.new_image_id,
                run.downtime_ms,
                run.id,
            )
        self._failpoint(run, Step.ROLLBACK)
        return self._finish(run, RunStatus.ROLLED_BACK, reason)

    def _undo_switch(self, run: _Run) -> None:
        run.sharers.undo_names()
        if run.new_id:
            self.engine.remove_container(run.new_id, force=True)
        if run.renamed_old:
            self.engine.rename_container(run.old_id, run.name)
        self._ensure_running(run.old_id, run.was_running)
        for record in run.sharers.records:
            self._ensure_running(record.old_id, record.was_running)
        self._restore_tag(run)

    def _ensure_running(self, container_id: str, should_run: bool) -> None:
        if not should_run:
            return
        state = self.engine.inspect_container(container_id).get("State") or {}
        if not state.get("Running"):
            self.engine.start_container(container_id)
        self.verifier.verify_running(container_id)

    def _restore_tag(self, run: _Run) -> None:
        if not run.previous_tag_image or not run.tag_ref:
            return
        repository, _, tag = run.tag_ref.rpartition(":")
        try:
            self.engine.tag_image(run.previous_tag_image, repository, tag)
        except ColibriError as exc:
            self.journal.log(run.id, "WARNING", f"could not restore tag {run.tag_ref}: {exc}")

    def _remove_quietly(self, run: _Run, container: str) -> None:
        try:
            self.engine.remove_container(container, force=True)
        except ColibriError as exc:
            self.journal.log(run.id, "WARNING", f"could not remove {container}: {exc}")

    def _finish(self, run: _Run, status: RunStatus, reason: str) -> UpdateOutcome:
        self.journal.record_step(run.id, Step.DONE, {"status": status.value})
        self.journal.finish_run(
            run.id,
            status,
            reason=reason,
            downtime_ms=run.downtime_ms,
            new_image_id=run.new_image_id,
        )
        log.info("%s: %s (%s)", run.name, status.value, reason)
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

    def _step(self, run: _Run, step: Step, **data: Any) -> None:
        self.journal.record_step(run.id, step, data)

    def _failpoint(self, run: _Run, step: Step) -> None:
        if run.options.failpoint == step.value:
            log.warning("failpoint %s reached: exiting", step.value)
            logging.shutdown()
            os._exit(137)


def _stop_timeout(inspect: Mapping[str, Any]) -> int:
    """The container's own StopTimeout, else Docker's default."""
    value = (inspect.get("Config") or {}).get("StopTimeout")
    return value if isinstance(value, int) and value >= 0 else DEFAULT_STOP_TIMEOUT
