"""Every branch of the update transaction and its rollback, over the fake daemon."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import NewRun, RunRecord, RunStatus, Step
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.ports import Engine
from colibri.domain.refs import ImageRef, parse_reference
from colibri.domain.steps import GateStep, StopStep
from colibri.errors import EngineConflict, EngineError, StoreError
from colibri.update.model import UpdateOptions, UpdateOutcome
from colibri.update.pipeline import UpdatePipeline
from colibri.update.recovery import Recoverer
from colibri.update.verify import Verifier
from tests.fakes import FakeClock, FakeEngine, digest_of, local_image
from tests.unit.services.serve_fakes import T0, FakeJournal

REG = "reg.example:5000"
OLD, NEW = digest_of("old"), digest_of("new")
OPTIONS = UpdateOptions(verify=VerifyPolicy(stability_window=2.0))
HAPPY_STEPS = [
    Step.RESOLVE,
    Step.PULL,
    Step.GATE,
    Step.SNAPSHOT,
    Step.CREATE,
    Step.RENAME_OLD,
    Step.RENAME_NEW,
    Step.STOP,
    Step.START,
    Step.VERIFY,
    Step.COMMIT,
    Step.DONE,
]


@dataclass
class Blocks:
    """A gate that blocks every candidate."""

    asked: list[GateRequest] = field(default_factory=list)

    def evaluate(self, request: GateRequest) -> GateVerdict:
        self.asked.append(request)
        return GateVerdict(False, "critical findings", ("db is old",), {"policy": "critical"})


@dataclass
class World:
    engine: FakeEngine
    journal: FakeJournal
    clock: FakeClock

    def pipeline(self, **options: object) -> UpdatePipeline:
        return UpdatePipeline(self.engine, self.journal, self.clock, **options)  # type: ignore[arg-type]

    def container(self, name: str = "web", *, image: str = "", **labels: str) -> Container:
        """``name`` running ``<image>:1`` on OLD; the registry has NEW for that tag."""
        repo = f"{REG}/{image or name}"
        old = self.engine.images.get(digest_of(f"image:{repo}-old")) or local_image(
            f"{repo}-old", f"{repo}@{OLD}", tags=(f"{repo}:1",)
        )
        self.engine.publish(repo, local_image(f"{repo}-new", f"{repo}@{NEW}"))
        return self.engine.add(name, f"{repo}:1", old, **labels)

    def run(self, outcome: UpdateOutcome) -> RunRecord:
        return self.journal.runs[outcome.run_id or ""]

    def steps(self, outcome: UpdateOutcome) -> list[Step]:
        return [step.step for step in self.run(outcome).steps]


def world() -> World:
    clock = FakeClock(T0)
    return World(FakeEngine(), FakeJournal(clock), clock)


def checked(container: Container, remote: str = NEW) -> CheckResult:
    return CheckResult(
        container.name,
        container.config_image,
        CheckStatus.UPDATE_AVAILABLE,
        current_digest=OLD,
        remote_digest=remote,
        container_id=container.id,
        image_id=container.image_id,
        checked=container,
        ref=parse_reference(container.config_image),
    )


def update(w: World, *containers: Container, **options: object) -> list[UpdateOutcome]:
    pipeline = w.pipeline(**options)
    outcomes = pipeline.update([checked(c) for c in containers], OPTIONS)
    return sorted(outcomes, key=lambda outcome: outcome.container)


def new_image(repo: str) -> str:
    return digest_of(f"image:{REG}/{repo}-new")


def old_image(repo: str) -> str:
    return digest_of(f"image:{REG}/{repo}-old")


def assert_as_before(w: World, old: Container) -> None:
    """The container runs under its name exactly as before; no copy is left; the tag is back."""
    current = w.engine.get_container(old.name)
    assert (current.id, current.image_id, current.state) == (old.id, old.image_id, "running")
    assert [c.name for c in w.engine.containers if c.name.startswith(f"{old.name}-colibri")] == []
    tagged = w.engine.inspect_image(old.config_image)
    assert tagged is not None and tagged.id == old.image_id
    assert w.journal.locks == {}


# -- the main path --


def test_an_update_replaces_the_container_and_journals_every_step() -> None:
    w = world()
    old = w.container()
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.UPDATED, outcome.reason
    current = w.engine.get_container("web")
    assert current.id != old.id and current.image_id == new_image("web")
    assert current.state == "running" and current.config_image == f"{REG}/web:1"
    assert [c.name for c in w.engine.containers] == ["web"]  # the old one was removed
    tagged = w.engine.inspect_image(f"{REG}/web:1")
    assert tagged is not None and tagged.id == new_image("web")
    assert w.steps(outcome) == HAPPY_STEPS
    run = w.run(outcome)
    assert (run.status, run.new_image_id, run.trigger) == (
        RunStatus.UPDATED,
        new_image("web"),
        "cli",
    )
    assert outcome.downtime_ms is not None and w.journal.locks == {}


def test_only_the_stop_and_the_start_happen_between_them() -> None:
    w = world()
    old = w.container()
    [outcome] = update(w, old)
    events = w.engine.events
    stop = events.index(("stop", old.id))
    new_id = w.engine.get_container("web").id
    assert events[stop + 1] == ("start", new_id)
    stop_row = w.run(outcome).payload(StopStep)
    assert stop_row is not None and stop_row.new_id == new_id and stop_row.was_running


def test_a_pulled_image_that_is_the_running_one_finishes_up_to_date() -> None:
    w = world()
    old = w.container()
    running = w.engine.images[old.image_id]
    w.engine.published[f"{REG}/web@{NEW}"] = running
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.UP_TO_DATE
    assert w.engine.calls["create"] == 0 and w.steps(outcome) == [
        Step.RESOLVE,
        Step.PULL,
        Step.DONE,
    ]
    assert_as_before(w, old)


def test_a_container_that_was_stopped_is_replaced_but_not_started() -> None:
    w = world()
    old = w.container()
    w.engine.stop_container(old.id)
    stopped = w.engine.get_container("web")
    [outcome] = update(w, stopped)
    assert outcome.status is RunStatus.UPDATED, outcome.reason
    current = w.engine.get_container("web")
    assert current.image_id == new_image("web") and current.state == "created"
    assert outcome.downtime_ms is None


def test_cleanup_removes_the_old_image_when_nothing_uses_it() -> None:
    w = world()
    old = w.container()
    pipeline = w.pipeline()
    [outcome] = pipeline.update([checked(old)], UpdateOptions(cleanup=True, verify=OPTIONS.verify))
    assert outcome.status is RunStatus.UPDATED
    assert old.image_id not in w.engine.images and new_image("web") in w.engine.images
    assert any("removed image" in message for _, _, message in w.run(outcome).logs)


def test_an_old_container_that_cannot_be_removed_leaves_the_update_standing() -> None:
    w = world()
    old = w.container()
    w.engine.fail_if("remove", lambda target: EngineError("busy") if target == old.id else None)
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.UPDATED
    assert w.engine.get_container("web").image_id == new_image("web")
    assert any("could not remove" in message for _, _, message in w.run(outcome).logs)


def test_a_dry_run_pulls_nothing_and_writes_nothing() -> None:
    w = world()
    old = w.container()
    [outcome] = w.pipeline().update([checked(old)], UpdateOptions(dry_run=True))
    assert outcome.status is RunStatus.WOULD_UPDATE and NEW in outcome.reason
    assert w.engine.calls["pull"] == 0 and w.journal.runs == {}


# -- before anything visible changes --


def test_a_blocked_candidate_never_runs_and_is_removed() -> None:
    w = world()
    old = w.container()
    gate = Blocks()
    [outcome] = update(w, old, gate=gate)
    assert outcome.status is RunStatus.BLOCKED and outcome.reason == "critical findings"
    assert [request.digest for request in gate.asked] == [NEW]
    assert new_image("web") not in w.engine.images
    assert_as_before(w, old)
    decision = w.run(outcome).payload(GateStep)
    assert decision is not None and not decision.allowed
    assert decision.details == {"policy": "critical"} and decision.warnings == ("db is old",)


def test_a_failed_pull_leaves_the_container_as_it_was() -> None:
    w = world()
    old = w.container()
    w.engine.published.clear()
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.FAILED and "not found" in outcome.reason
    assert w.engine.calls["create"] == 0
    assert_as_before(w, old)


def test_a_refused_create_leaves_the_container_as_it_was() -> None:
    w = world()
    old = w.container()
    w.engine.fail("create", EngineError("no space left"))
    [outcome] = update(w, old)
    assert (outcome.status, outcome.reason) == (RunStatus.FAILED, "no space left")
    assert_as_before(w, old)
    assert w.run(outcome).status is RunStatus.FAILED


def test_a_created_copy_that_cannot_be_inspected_is_removed() -> None:
    w = world()
    old = w.container()
    w.engine.fail_if(
        "inspect_container",
        lambda target: EngineError("gone wrong") if target != old.id else None,
    )
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.FAILED
    w.engine.rules.clear()
    assert_as_before(w, old)


# -- after the switch began: rollback --


def test_a_new_container_that_will_not_start_is_rolled_back() -> None:
    w = world()
    old = w.container()
    w.engine.fail_if(
        "start", lambda target: EngineError("port in use") if target != old.id else None
    )
    [outcome] = update(w, old)
    assert (outcome.status, outcome.reason) == (RunStatus.ROLLED_BACK, "port in use")
    assert_as_before(w, old)
    assert w.steps(outcome)[-2:] == [Step.ROLLBACK, Step.DONE]


def test_a_new_container_that_crashes_in_its_window_is_rolled_back() -> None:
    w = world()
    old = w.container()
    w.engine.crashing.add(new_image("web"))
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.ROLLED_BACK and "verification failed" in outcome.reason
    assert_as_before(w, old)


def test_a_rollback_that_fails_leaves_the_run_open_and_recovery_finishes_it() -> None:
    w = world()
    old = w.container()
    w.engine.crashing.add(new_image("web"))
    w.engine.fail_if(
        "rename",
        lambda target: EngineConflict("daemon busy") if target == f"{old.id}->web" else None,
    )
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.FAILED and "rollback failed" in outcome.reason
    assert w.run(outcome).status is RunStatus.RUNNING  # left to recovery, not called done
    assert w.journal.locks == {}
    w.engine.rules.clear()
    recoverer = Recoverer(w.engine, w.journal, Verifier(w.engine, w.clock), environment="local")
    [recovered] = recoverer.recover_all()
    assert recovered.status is RunStatus.ROLLED_BACK
    assert_as_before(w, old)


def test_namespace_sharers_follow_the_new_container() -> None:
    w = world()
    old = w.container()
    sidecar = w.container("sidecar", image="side")
    w.engine.containers[-1] = sidecar = _in_namespace_of(sidecar, old)
    pipeline = w.pipeline()
    [outcome] = pipeline.update([checked(old)], OPTIONS)
    assert outcome.status is RunStatus.UPDATED, outcome.reason
    new = w.engine.get_container("web")
    follower = w.engine.get_container("sidecar")
    assert follower.id != sidecar.id and follower.network_mode == f"container:{new.id}"
    assert follower.state == "running"
    assert sorted(c.name for c in w.engine.containers) == ["sidecar", "web"]
    assert Step.DEPENDENTS in w.steps(outcome)


def test_namespace_sharers_are_restored_when_the_update_rolls_back() -> None:
    w = world()
    old = w.container()
    sidecar = w.container("sidecar", image="side")
    w.engine.containers[-1] = sidecar = _in_namespace_of(sidecar, old)
    w.engine.crashing.add(new_image("web"))
    [outcome] = w.pipeline().update([checked(old)], OPTIONS)
    assert outcome.status is RunStatus.ROLLED_BACK
    assert_as_before(w, old)
    follower = w.engine.get_container("sidecar")
    assert (follower.id, follower.state) == (sidecar.id, "running")


def test_declared_dependents_are_restarted_after_the_update() -> None:
    w = world()
    old = w.container()
    app = w.container("app", image="app", **{"colibri.depends-on": "web"})
    [outcome] = w.pipeline().update([checked(old)], OPTIONS)
    assert outcome.status is RunStatus.UPDATED
    assert ("restart", app.id) in w.engine.events


# -- before the transaction: lock, second look, journal --


def test_a_container_locked_elsewhere_is_skipped_without_a_run() -> None:
    w = world()
    old = w.container()
    w.journal.foreign_locks.add("local/web")
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.SKIPPED and "held" in outcome.reason
    assert w.journal.runs == {} and w.engine.calls["pull"] == 0


def test_a_container_replaced_since_the_check_is_skipped() -> None:
    w = world()
    old = w.container()
    w.engine.containers[0] = Container(old.id, old.name, old.config_image, "sha256:other")
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.SKIPPED and "changed since it was checked" in outcome.reason
    assert w.journal.runs == {}


def test_a_journal_that_fails_mid_run_leaves_the_run_to_recovery() -> None:
    class DiskFull(FakeJournal):
        full = True

        def record_step(
            self, run_id: str, step: Step, data: Mapping[str, Any] | None = None
        ) -> None:
            if self.full and step is Step.DONE:
                raise StoreError("disk full")
            super().record_step(run_id, step, data)

    clock = FakeClock(T0)
    journal = DiskFull(clock)
    w = World(FakeEngine(), journal, clock)
    old = w.container()
    [outcome] = update(w, old)
    assert outcome.status is RunStatus.FAILED and "colibri recover" in outcome.reason
    assert w.journal.locks == {} and w.run(outcome).status is RunStatus.RUNNING
    journal.full = False
    recoverer = Recoverer(w.engine, w.journal, Verifier(w.engine, w.clock), environment="local")
    [recovered] = recoverer.recover_all()
    assert recovered.status is RunStatus.UPDATED  # it had committed: finished, not undone
    assert w.engine.get_container("web").image_id == new_image("web")


def test_results_the_check_settles_become_outcomes_and_close_the_callers_rows() -> None:
    w = world()
    old = w.container()
    row = w.journal.start_run(_row("web"))
    result = CheckResult("web", old.config_image, CheckStatus.UP_TO_DATE, checked=old)
    [outcome] = w.pipeline().update([result], OPTIONS, run_ids={"web": row.id})
    assert (outcome.status, outcome.run_id) == (RunStatus.UP_TO_DATE, row.id)
    assert w.journal.runs[row.id].status is RunStatus.UP_TO_DATE
    pinned = CheckResult("web", old.config_image, CheckStatus.PINNED, "pinned by digest")
    [skipped] = w.pipeline().update([pinned], OPTIONS)
    assert skipped.status is RunStatus.SKIPPED and skipped.run_id is None


# -- a batch --


def test_a_batch_pulls_each_digest_once_and_updates_in_parallel() -> None:
    w = world()
    containers = [w.container(f"web{i}", image="shared") for i in range(4)]
    outcomes = update(w, *containers, concurrency=4)
    assert [o.status for o in outcomes] == [RunStatus.UPDATED] * 4
    assert w.engine.calls["pull"] == 1
    assert all(w.engine.get_container(f"web{i}").image_id == new_image("shared") for i in range(4))


def test_one_failing_container_does_not_stop_the_others() -> None:
    w = world()
    good = [w.container(f"good{i}") for i in range(3)]
    bad = w.container("bad")
    w.engine.crashing.add(new_image("bad"))
    outcomes = update(w, *good, bad, concurrency=4)
    by_name = {outcome.container: outcome.status for outcome in outcomes}
    assert by_name == {
        "bad": RunStatus.ROLLED_BACK,
        "good0": RunStatus.UPDATED,
        "good1": RunStatus.UPDATED,
        "good2": RunStatus.UPDATED,
    }
    assert_as_before(w, bad)
    assert len({o.run_id for o in outcomes}) == 4


def test_dependencies_are_updated_before_their_dependents_in_a_batch() -> None:
    w = world()
    app = w.container("app", **{"colibri.depends-on": "db"})
    db = w.container("db")
    other = w.container("other")
    outcomes = update(w, app, db, other, concurrency=4)
    assert all(outcome.status is RunStatus.UPDATED for outcome in outcomes)
    creates = [target for method, target in w.engine.events if method == "create"]
    db_create = next(i for i, t in enumerate(creates) if t.startswith("db-"))
    app_create = next(i for i, t in enumerate(creates) if t.startswith("app-"))
    assert db_create < app_create
    commit_of_db = w.engine.events.index(("remove", db.id))
    events = w.engine.events
    first_app = next(i for i, (m, t) in enumerate(events) if m == "create" and t[:4] == "app-")
    assert commit_of_db < first_app


def _in_namespace_of(container: Container, owner: Container) -> Container:
    return Container(
        container.id,
        container.name,
        container.config_image,
        container.image_id,
        container.labels,
        network_mode=f"container:{owner.id}",
    )


def _row(name: str) -> NewRun:
    return NewRun("local", name, "", "", trigger="api", run_id=f"row-{name}")


@dataclass
class Helper:
    """A self-update hand-off that records whom it was given."""

    own_id: str
    handed: list[str] = field(default_factory=list)

    def is_own(self, container: Container) -> bool:
        return container.id == self.own_id

    def hand_off(
        self,
        engine: Engine,
        result: CheckResult,
        container: Container,
        ref: ImageRef,
        options: UpdateOptions,
    ) -> UpdateOutcome:
        self.handed.append(container.name)
        return UpdateOutcome(container.name, RunStatus.SKIPPED, "handed to a helper")


def test_colibris_own_container_is_handed_off_not_updated_in_process() -> None:
    w = world()
    own, other = w.container("colibri"), w.container("web")
    helper = Helper(own.id)
    row = w.journal.start_run(_row("colibri"))
    pipeline = w.pipeline(hand_off=helper)
    outcomes = pipeline.update([checked(own), checked(other)], OPTIONS, run_ids={"colibri": row.id})
    by_name = {outcome.container: outcome for outcome in outcomes}
    assert (by_name["colibri"].status, by_name["colibri"].run_id) == (RunStatus.SKIPPED, row.id)
    assert w.journal.runs[row.id].status is RunStatus.SKIPPED
    assert by_name["web"].status is RunStatus.UPDATED
    assert helper.handed == ["colibri"] and w.engine.get_container("colibri").id == own.id
