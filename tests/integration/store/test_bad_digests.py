"""Bad digests and the event feed on SQLite and PostgreSQL: recorded once, found, cleared;
every journal write numbered in order."""

from __future__ import annotations

from colibri.domain.activity import ActivityKind
from colibri.domain.bad_digests import BadDigest
from colibri.domain.journal import NewRun, RunStatus, Step
from colibri.services.bad_digests import BadDigestService
from colibri.store import Store
from tests.integration.store.clock import START, FakeClock

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


def _run_to(store: Store, steps: list[Step], status: RunStatus) -> str:
    run = store.journal.start_run(NewRun("local", "web", "c1", "app:1"))
    for step in steps:
        store.journal.record_step(run.id, step, {})
    store.journal.finish_run(run.id, status, reason="unhealthy after start")
    return run.id


def test_a_rollback_marks_its_digest_bad_once_and_a_clear_forgets_it(
    clocked_store: Store, clock: FakeClock
) -> None:
    service = BadDigestService(clocked_store.bad_digests, clocked_store.journal, clock)
    steps = [Step.RESOLVE, Step.PULL, Step.CREATE, Step.START, Step.VERIFY, Step.ROLLBACK]
    run_id = _run_to(clocked_store, steps, RunStatus.ROLLED_BACK)
    noted = service.note(1, "web", RunStatus.ROLLED_BACK, OLD, "unhealthy", run_id)
    assert noted == BadDigest(1, "web", OLD, RunStatus.ROLLED_BACK, "unhealthy", run_id, START)
    again = _run_to(clocked_store, steps, RunStatus.ROLLED_BACK)
    service.note(1, "web", RunStatus.ROLLED_BACK, OLD, "again", again)
    assert service.list() == [noted]  # the first failure is the one kept
    assert service.blocking(1, "web", OLD) == noted
    assert service.blocking(1, "web", NEW) is None  # a newer image is tried
    assert service.clear(1, "web", NEW) == 0
    assert service.clear(1, "web") == 1
    assert service.blocking(1, "web", OLD) is None


def test_a_failure_before_the_new_container_ran_marks_nothing(
    clocked_store: Store, clock: FakeClock
) -> None:
    service = BadDigestService(clocked_store.bad_digests, clocked_store.journal, clock)
    run_id = _run_to(clocked_store, [Step.RESOLVE, Step.PULL], RunStatus.FAILED)
    assert service.note(1, "web", RunStatus.FAILED, OLD, "registry away", run_id) is None
    ran = _run_to(clocked_store, [Step.CREATE, Step.START], RunStatus.FAILED)
    assert service.note(1, "web", RunStatus.FAILED, OLD, "rollback failed", ran) is not None


def test_every_journal_write_is_an_event_numbered_in_order(clocked_store: Store) -> None:
    before = clocked_store.activity.last_id()
    run_id = _run_to(clocked_store, [Step.RESOLVE], RunStatus.UP_TO_DATE)
    clocked_store.journal.log(run_id, "INFO", "late line")
    events = clocked_store.activity.after(before)
    assert [e.kind for e in events] == [
        ActivityKind.STARTED,
        ActivityKind.STEP,
        ActivityKind.FINISHED,
        ActivityKind.LOG,
    ]
    assert [e.id for e in events] == sorted({e.id for e in events})
    assert {(e.run_id, e.environment, e.container) for e in events} == {(run_id, "local", "web")}
    assert events[2].data["status"] == "up_to_date"
    assert clocked_store.activity.after(events[1].id, run_id=run_id) == events[2:]
    assert clocked_store.activity.after(events[1].id, run_id="other") == []


def test_the_last_outcome_of_each_container_ignores_dry_and_running_runs(
    clocked_store: Store, clock: FakeClock
) -> None:
    _run_to(clocked_store, [], RunStatus.FAILED)
    clock.advance(60)
    _run_to(clocked_store, [], RunStatus.BLOCKED)
    clock.advance(60)
    clocked_store.journal.start_run(NewRun("local", "web", "c1", "app:1"))  # still running
    dry = clocked_store.journal.start_run(NewRun("local", "web", "c1", "app:1", dry_run=True))
    clocked_store.journal.finish_run(dry.id, RunStatus.WOULD_UPDATE)
    other = clocked_store.journal.start_run(NewRun("edge", "web", "c2", "app:1"))
    clocked_store.journal.finish_run(other.id, RunStatus.UPDATED)
    assert clocked_store.last_outcomes.last_outcomes() == {
        ("local", "web"): RunStatus.BLOCKED,
        ("edge", "web"): RunStatus.UPDATED,
    }
