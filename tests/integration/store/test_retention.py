"""Records stay bounded on SQLite and PostgreSQL: old finished runs (with their steps, logs
and events) and old notification keys are dropped, each container's newest runs and every
unfinished run are kept."""

from __future__ import annotations

from datetime import timedelta

from colibri.domain.journal import NewRun, RunStatus, Step
from colibri.domain.retention import Retention
from colibri.services.retention import Pruned, RetentionService
from colibri.store import Store
from tests.integration.store.clock import FakeClock

DAY = 86_400.0


def run_of(store: Store, clock: FakeClock, name: str, *, finished: bool = True) -> str:
    run = store.journal.start_run(
        NewRun(environment="local", container_name=name, container_id=f"{name}-id", image="a:1")
    )
    store.journal.record_step(run.id, Step.RESOLVE, {"digest": "sha256:" + "a" * 64})
    store.journal.log(run.id, "INFO", "resolved")
    if finished:
        store.journal.finish_run(run.id, RunStatus.UPDATED)
    clock.advance(DAY)
    return run.id


def test_old_runs_go_but_each_containers_newest_and_unfinished_ones_stay(
    clocked_store: Store, clock: FakeClock
) -> None:
    old_web = [run_of(clocked_store, clock, "web") for _ in range(4)]
    stuck = run_of(clocked_store, clock, "db", finished=False)
    lonely = run_of(clocked_store, clock, "cache")
    clock.advance(400 * DAY)
    recent = run_of(clocked_store, clock, "web")
    service = RetentionService(
        clocked_store.journal,
        clocked_store.notification_log,
        clock,
        Retention(notification_days=30, run_days=365, runs_per_container=2),
    )

    assert service.prune() == Pruned(notification_keys=0, runs=3)

    kept = {run.id for run in clocked_store.journal.list_runs(limit=100)}
    assert kept == {old_web[-1], recent, stuck, lonely}
    assert clocked_store.journal.get_run(old_web[-1]).steps  # a kept run keeps its steps
    assert clocked_store.journal.unfinished_runs()[0].id == stuck
    assert service.prune() == Pruned()  # nothing more to do


def test_notification_keys_older_than_the_retention_are_forgotten(
    clocked_store: Store, clock: FakeClock
) -> None:
    log = clocked_store.notification_log
    assert log.first_time("update_available:web:sha256:1")
    clock.advance(31 * DAY)
    assert log.first_time("update_available:web:sha256:2")
    service = RetentionService(clocked_store.journal, log, clock, Retention(notification_days=30))
    assert service.prune().notification_keys == 1
    assert log.first_time("update_available:web:sha256:1")  # may be announced once more
    assert not log.first_time("update_available:web:sha256:2")


def test_the_defaults_are_generous() -> None:
    retention = Retention()
    assert (retention.notification_days, retention.run_days, retention.runs_per_container) == (
        365,
        365,
        50,
    )
    cutoffs = retention.cutoffs(FakeClock().now())
    assert FakeClock().now() - cutoffs.runs_before == timedelta(days=365)


def test_the_audit_trail_is_kept_as_long_as_the_run_history(
    clocked_store: Store, clock: FakeClock
) -> None:
    from colibri.domain.audit import AuditAction, AuditResource, NewAuditEntry

    def entry(resource_id: str) -> None:
        clocked_store.audit.record(
            NewAuditEntry("cli", AuditAction.CREATE, AuditResource.ENVIRONMENT, resource_id)
        )

    entry("old")
    clock.advance(400 * DAY)
    entry("recent")
    service = RetentionService(
        clocked_store.journal,
        clocked_store.notification_log,
        clock,
        Retention(run_days=365),
        audit=clocked_store.audit,
    )
    assert service.prune().audit_entries == 1
    assert [e.resource_id for e in clocked_store.audit.list_entries()] == ["recent"]
