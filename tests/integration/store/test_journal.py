"""The journal on SQLite and PostgreSQL: runs, steps, logs, listing, recovery's view."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from colibri.domain.journal import NewRun, RunStatus, Step
from colibri.domain.ports import Journal
from colibri.errors import StoreError
from colibri.store import SqlJournal, Store, make_store
from tests.integration.store.clock import START, FakeClock


def new_run(name: str = "web", environment: str = "local", **fields: Any) -> NewRun:
    return NewRun(
        environment=environment,
        container_name=name,
        container_id=f"{name}-id",
        image=f"registry.test/{name}:1",
        **fields,
    )


def inspect_document(size: int = 50_000) -> dict[str, Any]:
    """A ``docker inspect``-like document of at least ``size`` bytes of JSON."""
    env = [f"VAR_{i}=välue-{i}-{'x' * 40}" for i in range(size // 50)]
    return {
        "Id": "f" * 64,
        "Name": "/web",
        "Config": {"Env": env, "Labels": {"a.b": "ü ✓", "empty": ""}, "Cmd": None},
        "HostConfig": {"Memory": 2**40, "CpuShares": 0, "ReadonlyRootfs": False},
        "NetworkSettings": {"Networks": {"n1": {"Aliases": ["web", "w"], "IPAddress": "1.2.3.4"}}},
        "Nested": [[1, 2.5, None, True], {"deep": {"deeper": ["x"]}}],
    }


def test_the_journal_satisfies_the_port(journal: SqlJournal) -> None:
    port: Journal = journal
    assert port is journal


def test_a_started_run_is_running_with_a_uuid_hex_id(journal: SqlJournal) -> None:
    run = journal.start_run(new_run(old_digest="sha256:" + "a" * 64, trigger="api"))

    assert run.status is RunStatus.RUNNING
    assert len(run.id) == 32 and int(run.id, 16) >= 0
    assert run.started_at == START and run.finished_at is None
    stored = journal.get_run(run.id)
    assert stored == run
    assert stored.old_digest == "sha256:" + "a" * 64 and stored.trigger == "api"


def test_a_run_keeps_the_id_its_caller_chose(journal: SqlJournal) -> None:
    """The executor locks under a run id before the run row exists."""
    chosen = "c" * 32
    run = journal.start_run(new_run(run_id=chosen))
    assert run.id == chosen
    assert journal.get_run(chosen).container_name == "web"


def test_a_50_kb_inspect_document_survives_intact(journal: SqlJournal) -> None:
    document = inspect_document()
    assert len(json.dumps(document)) > 50_000
    run = journal.start_run(new_run())

    journal.record_step(run.id, Step.SNAPSHOT, {"inspect": document, "name": "web"})

    data = journal.get_run(run.id).step_data(Step.SNAPSHOT)
    assert data == {"inspect": document, "name": "web"}
    assert json.dumps(data["inspect"], sort_keys=True) == json.dumps(document, sort_keys=True)


def test_steps_are_numbered_in_the_order_written(journal: SqlJournal, clock: FakeClock) -> None:
    run = journal.start_run(new_run())
    for step in (Step.RESOLVE, Step.PULL, Step.SNAPSHOT, Step.CREATE, Step.STOP):
        clock.advance(1)
        journal.record_step(run.id, step, {"step": step.value})
    journal.record_step(run.id, Step.RESOLVE)

    steps = journal.get_run(run.id).steps

    assert [s.seq for s in steps] == [1, 2, 3, 4, 5, 6]
    assert [s.step for s in steps][:5] == [
        Step.RESOLVE, Step.PULL, Step.SNAPSHOT, Step.CREATE, Step.STOP
    ]  # fmt: skip
    assert steps[0].at == START + timedelta(seconds=1)
    assert steps[5].data == {} and steps[5].step is Step.RESOLVE
    assert all(s.run_id == run.id for s in steps)


def test_steps_of_two_runs_are_kept_apart(journal: SqlJournal) -> None:
    first, second = journal.start_run(new_run("a")), journal.start_run(new_run("b"))
    journal.record_step(first.id, Step.RESOLVE)
    journal.record_step(second.id, Step.RESOLVE)
    journal.record_step(first.id, Step.PULL)

    assert [s.step for s in journal.get_run(first.id).steps] == [Step.RESOLVE, Step.PULL]
    assert [s.seq for s in journal.get_run(second.id).steps] == [1]


def test_update_and_finish_set_the_outcome(journal: SqlJournal, clock: FakeClock) -> None:
    run = journal.start_run(new_run())
    journal.update_run(run.id, new_digest="sha256:" + "b" * 64, reason="pulled")
    clock.advance(30)

    journal.finish_run(run.id, RunStatus.UPDATED, downtime_ms=420, new_image_id="sha256:new")

    done = journal.get_run(run.id)
    assert done.status is RunStatus.UPDATED and done.status.finished
    assert done.finished_at == START + timedelta(seconds=30)
    assert (done.new_digest, done.new_image_id, done.downtime_ms) == (
        "sha256:" + "b" * 64, "sha256:new", 420
    )  # fmt: skip
    assert done.reason == "pulled"


def test_finish_with_a_reason_replaces_the_earlier_one(journal: SqlJournal) -> None:
    run = journal.start_run(new_run())
    journal.update_run(run.id, reason="verifying")

    journal.finish_run(run.id, RunStatus.ROLLED_BACK, reason="exited with code 1")

    assert journal.get_run(run.id).reason == "exited with code 1"


def test_finish_refuses_running_as_an_outcome(journal: SqlJournal) -> None:
    run = journal.start_run(new_run())
    with pytest.raises(StoreError, match="not an outcome"):
        journal.finish_run(run.id, RunStatus.RUNNING)


def test_update_refuses_columns_it_does_not_own(journal: SqlJournal) -> None:
    run = journal.start_run(new_run())
    with pytest.raises(StoreError, match="cannot set id, status"):
        journal.update_run(run.id, status="updated", id="x", reason="ok")
    assert journal.get_run(run.id).reason == ""


def test_logs_come_back_in_the_order_written(journal: SqlJournal, clock: FakeClock) -> None:
    run = journal.start_run(new_run())
    journal.log(run.id, "INFO", "pulling")
    journal.log(run.id, "WARNING", "slow registry")
    journal.log(run.id, "INFO", "pulled ✓")

    logs = journal.get_run(run.id).logs

    assert [(level, message) for _, level, message in logs] == [
        ("INFO", "pulling"), ("WARNING", "slow registry"), ("INFO", "pulled ✓")
    ]  # fmt: skip
    assert all(at == START for at, _, _ in logs)


@pytest.mark.parametrize(
    "call",
    [
        lambda j: j.record_step("nope", Step.PULL, {}),
        lambda j: j.update_run("nope", reason="x"),
        lambda j: j.update_run("nope"),
        lambda j: j.finish_run("nope", RunStatus.FAILED),
        lambda j: j.log("nope", "INFO", "x"),
        lambda j: j.get_run("nope"),
    ],
    ids=["record_step", "update_run", "update_run-nothing", "finish_run", "log", "get_run"],
)
def test_an_unknown_run_id_is_a_store_error(journal: SqlJournal, call: Any) -> None:
    with pytest.raises(StoreError, match="unknown run id 'nope'"):
        call(journal)


def test_runs_are_listed_newest_first(journal: SqlJournal, clock: FakeClock) -> None:
    ids = []
    for name in ("a", "b", "c"):
        ids.append(journal.start_run(new_run(name)).id)
        clock.advance(1)
    journal.record_step(ids[0], Step.RESOLVE)

    listed = journal.list_runs()

    assert [run.id for run in listed] == ids[::-1]
    assert all(run.steps == () and run.logs == () for run in listed)


def test_runs_started_at_the_same_instant_list_in_a_stable_order(journal: SqlJournal) -> None:
    ids = {journal.start_run(new_run(str(i))).id for i in range(5)}

    listed = [run.id for run in journal.list_runs()]

    assert listed == sorted(ids, reverse=True)


def test_listing_filters_by_container_and_environment(
    journal: SqlJournal, clock: FakeClock
) -> None:
    made = {}
    for env in ("local", "remote"):
        for name in ("web", "db"):
            made[env, name] = journal.start_run(new_run(name, env)).id
            clock.advance(1)

    def listed(**filters: Any) -> set[str]:
        return {run.id for run in journal.list_runs(**filters)}

    assert listed(container_name="web") == {made["local", "web"], made["remote", "web"]}
    assert listed(environment="remote") == {made["remote", "web"], made["remote", "db"]}
    assert listed(environment="local", container_name="db") == {made["local", "db"]}
    assert listed(container_name="none") == set()


def test_listing_pages_with_limit_and_offset(journal: SqlJournal, clock: FakeClock) -> None:
    ids = []
    for i in range(7):
        ids.append(journal.start_run(new_run(f"c{i}")).id)
        clock.advance(1)
    newest_first = ids[::-1]

    pages = [[run.id for run in journal.list_runs(limit=3, offset=o)] for o in (0, 3, 6, 9)]

    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:], []]
    assert journal.list_runs(limit=0) == []
    with pytest.raises(StoreError, match="limit and offset"):
        journal.list_runs(offset=-1)


def test_unfinished_runs_are_oldest_first_with_their_steps(
    journal: SqlJournal, clock: FakeClock
) -> None:
    old = journal.start_run(new_run("old"))
    clock.advance(1)
    done = journal.start_run(new_run("done"))
    clock.advance(1)
    young = journal.start_run(new_run("young", "remote"))
    journal.record_step(old.id, Step.SNAPSHOT, {"inspect": {"Id": "x"}})
    journal.record_step(old.id, Step.STOP)
    journal.record_step(done.id, Step.DONE)
    journal.finish_run(done.id, RunStatus.UP_TO_DATE)

    unfinished = journal.unfinished_runs()

    assert [run.id for run in unfinished] == [old.id, young.id]
    assert [s.step for s in unfinished[0].steps] == [Step.SNAPSHOT, Step.STOP]
    assert unfinished[0].step_data(Step.SNAPSHOT) == {"inspect": {"Id": "x"}}
    assert unfinished[1].steps == ()
    assert [run.id for run in journal.unfinished_runs("remote")] == [young.id]
    assert journal.unfinished_runs("elsewhere") == []


def test_times_come_back_aware_in_utc(database_url: str) -> None:
    paris = timezone(timedelta(hours=2))
    clock = FakeClock(datetime(2030, 6, 1, 12, 0, 0, 123456, tzinfo=paris))
    with make_store(database_url, clock=clock) as store:
        run = store.journal.start_run(new_run())
        store.journal.record_step(run.id, Step.RESOLVE)
        store.journal.log(run.id, "INFO", "x")
        stored = store.journal.get_run(run.id)

    expected = datetime(2030, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    for moment in (stored.started_at, stored.steps[0].at, stored.logs[0][0]):
        assert moment == expected
        assert moment.tzinfo is UTC


def test_a_naive_time_is_refused(database_url: str) -> None:
    naive = FakeClock(datetime(2030, 1, 1))
    with make_store(database_url, clock=naive) as store:
        with pytest.raises(StoreError, match="naive datetime"):
            store.journal.start_run(new_run())
        assert store.journal.list_runs() == []


def test_runs_written_by_one_store_are_read_by_another(store: Store, database_url: str) -> None:
    run = store.journal.start_run(new_run())
    store.journal.record_step(run.id, Step.PULL, {"digest": "sha256:x"})

    with make_store(database_url) as other:
        assert other.journal.get_run(run.id).step_data(Step.PULL) == {"digest": "sha256:x"}


def test_data_that_is_not_json_is_a_store_error(journal: SqlJournal) -> None:
    run = journal.start_run(new_run())
    with pytest.raises(StoreError, match=f"record step pull of run {run.id}"):
        journal.record_step(run.id, Step.PULL, {"when": object()})
    assert journal.get_run(run.id).steps == ()
