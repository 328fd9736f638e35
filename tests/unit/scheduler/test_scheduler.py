"""The scheduler over fakes: due, claim, bounded workers, backoff, drain, the loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from colibri.domain.journal import RunStatus
from colibri.domain.settings import AutoUpdateConfig, AutoUpdateSetting, NewAutoUpdate, Schedule
from colibri.errors import StoreError
from colibri.scheduler import TRIGGER, Scheduler, SchedulerOptions
from colibri.services.run_times import BACKOFF_FIRST
from tests.fakes import FakeClock
from tests.unit.services.serve_fakes import T0, FakeAutoUpdates

EVERY_MINUTE = AutoUpdateConfig(schedule=Schedule.of("custom", "* * * * *"))


@dataclass
class Runner:
    """Records runs; ``gate`` (when set) holds every run until it is set; ``error`` is raised."""

    runs: list[tuple[int, str]] = field(default_factory=list)
    gate: threading.Event | None = None
    error: Exception | None = None
    started: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, setting: AutoUpdateSetting, *, trigger: str, run_id: str | None = None) -> Any:
        with self.lock:
            self.runs.append((setting.id, trigger))
        self.started.release()
        if self.gate is not None:
            assert self.gate.wait(20)
        if self.error is not None:
            raise self.error
        return None

    def wait_started(self, count: int) -> None:
        for _ in range(count):
            assert self.started.acquire(timeout=10)


class LosingStore(FakeAutoUpdates):
    """Another process wins every claim."""

    def claim(self, setting_id: int, expected: datetime, new: datetime | None) -> bool:
        return False


def make(
    store: FakeAutoUpdates | None = None,
    runner: Runner | None = None,
    clock: FakeClock | None = None,
    **options: Any,
) -> tuple[Scheduler, FakeAutoUpdates, Runner, FakeClock]:
    clock = clock or FakeClock(T0)
    store = store if store is not None else FakeAutoUpdates(clock)
    runner = runner or Runner()
    scheduler = Scheduler(store, runner, clock, SchedulerOptions(**options))
    return scheduler, store, runner, clock


def add(
    store: FakeAutoUpdates, name: str, next_run_at: datetime | None, config: AutoUpdateConfig
) -> AutoUpdateSetting:
    return store.create(NewAutoUpdate(1, name, config, next_run_at))


def drained(scheduler: Scheduler) -> None:
    assert scheduler.stop(grace=10)


def test_nothing_due_means_one_query_and_no_claim() -> None:
    scheduler, store, runner, _ = make()
    add(store, "later", T0 + timedelta(hours=1), AutoUpdateConfig())
    assert scheduler.tick() == 0
    assert store.due_queries == 1 and store.claims == [] and runner.runs == []
    drained(scheduler)


def test_a_due_setting_is_claimed_to_its_next_slot_and_run_once() -> None:
    scheduler, store, runner, _ = make()
    setting = add(store, "web", T0 - timedelta(seconds=1), AutoUpdateConfig())
    assert scheduler.tick() == 1
    runner.wait_started(1)
    drained(scheduler)
    assert runner.runs == [(setting.id, TRIGGER)]
    assert store.claims == [
        (setting.id, T0 - timedelta(seconds=1), datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
    ]


def test_runs_missed_while_down_run_once_not_once_per_slot() -> None:
    scheduler, store, runner, clock = make()
    setting = add(store, "web", T0 - timedelta(days=3), EVERY_MINUTE)  # 4,000 missed slots
    assert scheduler.tick() == 1
    runner.wait_started(1)
    assert scheduler.tick() == 0  # the next slot is after now
    clock.current += timedelta(seconds=59)
    assert scheduler.tick() == 0
    clock.current += timedelta(seconds=1)
    assert scheduler.tick() == 1
    runner.wait_started(1)
    drained(scheduler)
    assert runner.runs == [(setting.id, TRIGGER)] * 2
    assert [new for _, _, new in store.claims] == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=2),
    ]


def test_a_slot_another_process_claimed_is_not_run() -> None:
    clock = FakeClock(T0)
    scheduler, store, runner, _ = make(LosingStore(clock), clock=clock)
    add(store, "web", T0 - timedelta(minutes=1), AutoUpdateConfig())
    assert scheduler.tick() == 0
    drained(scheduler)
    assert runner.runs == []


def test_workers_are_bounded_and_a_full_pool_does_not_even_query() -> None:
    gate = threading.Event()
    scheduler, store, runner, _ = make(runner=Runner(gate=gate), workers=2)
    for number in range(5):
        add(store, f"c{number}", T0 - timedelta(minutes=5 - number), EVERY_MINUTE)
    assert scheduler.tick() == 2
    runner.wait_started(2)
    queries = store.due_queries
    assert scheduler.tick() == 0 and store.due_queries == queries
    assert scheduler.running == 2
    gate.set()
    deadline = time.monotonic() + 10
    while scheduler.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert scheduler.tick() == 2  # oldest first: c2, c3 now
    runner.wait_started(2)
    drained(scheduler)
    assert sorted(setting_id for setting_id, _ in runner.runs) == [1, 2, 3, 4]


def test_a_failing_run_pushes_its_next_run_back_and_is_counted() -> None:
    scheduler, store, _, clock = make(runner=Runner(error=RuntimeError("bug")))
    setting = add(store, "web", T0 - timedelta(seconds=1), EVERY_MINUTE)
    assert scheduler.tick() == 1
    drained(scheduler)
    stored = store.get(setting.id)
    assert stored is not None
    assert stored.last_status is RunStatus.FAILED and stored.consecutive_failures == 1
    assert stored.next_run_at == T0 + BACKOFF_FIRST  # not the next minute
    clock.current += timedelta(minutes=1)
    assert scheduler.tick() == 0  # no crash loop


def test_stop_stops_claiming_and_waits_for_running_updates() -> None:
    gate = threading.Event()
    scheduler, store, runner, _ = make(runner=Runner(gate=gate))
    add(store, "web", T0 - timedelta(seconds=1), AutoUpdateConfig())
    add(store, "db", T0 - timedelta(seconds=1), AutoUpdateConfig())
    scheduler.start()
    runner.wait_started(2)
    threading.Timer(0.2, gate.set).start()
    assert scheduler.stop(grace=10) is True
    assert not scheduler.alive and scheduler.running == 0
    add(store, "late", T0 - timedelta(seconds=1), AutoUpdateConfig())
    assert scheduler.tick() == 0  # stopped: claims nothing more
    assert len(runner.runs) == 2


def test_stop_gives_up_after_the_grace_period_and_says_so() -> None:
    gate = threading.Event()
    scheduler, store, runner, _ = make(runner=Runner(gate=gate))
    add(store, "web", T0 - timedelta(seconds=1), AutoUpdateConfig())
    assert scheduler.tick() == 1
    runner.wait_started(1)
    started = time.monotonic()
    assert scheduler.stop(grace=0.2) is False
    assert time.monotonic() - started < 5
    gate.set()


def test_the_loop_outlives_a_failing_database() -> None:
    clock = FakeClock(T0)
    store = FakeAutoUpdates(clock)
    store.fail_due = StoreError("the database is away")
    scheduler, _, runner, _ = make(store, clock=clock, tick=0.01)
    add(store, "web", T0 - timedelta(seconds=1), AutoUpdateConfig())
    scheduler.start()
    wait_for(lambda: store.due_queries >= 2)
    store.fail_due = None
    runner.wait_started(1)
    drained(scheduler)
    assert runner.runs == [(1, TRIGGER)]


def test_the_periodic_job_runs_at_start_and_then_every_interval() -> None:
    calls: list[float] = []
    clock = FakeClock(T0)
    store = FakeAutoUpdates(clock)
    scheduler = Scheduler(
        store,
        Runner(),
        clock,
        SchedulerOptions(tick=0.01, check_interval=60),
        periodic=lambda: calls.append(clock.monotonic()),
    )
    scheduler.start()
    wait_for(lambda: len(calls) == 1)
    time.sleep(0.1)
    assert len(calls) == 1  # the interval has not passed on the scheduler's clock
    clock.mono += 60
    wait_for(lambda: len(calls) == 2)
    drained(scheduler)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError):
        SchedulerOptions(workers=0)
    with pytest.raises(ValueError):
        SchedulerOptions(tick=0)


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
