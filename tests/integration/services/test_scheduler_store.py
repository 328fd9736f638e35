"""The scheduler and the schedule service on the real store, SQLite and PostgreSQL: claims,
missed slots, backoff, and two scheduler processes on one database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from colibri.domain.environments import LOCAL_ENVIRONMENT
from colibri.domain.journal import RunStatus
from colibri.domain.settings import AutoUpdateConfig, AutoUpdateSetting, NewAutoUpdate, Schedule
from colibri.registry.clock import SystemClock
from colibri.scheduler import TRIGGER, Scheduler
from colibri.services.run_times import BACKOFF_FIRST
from colibri.services.schedules import ScheduleService
from colibri.store import Store
from tests.integration.services.scheduler_workers import schedule_until_nothing_is_due
from tests.integration.store.workers import run_in_processes

EVERY_MINUTE = AutoUpdateConfig(schedule=Schedule.of("custom", "* * * * *"))


class Recorder:
    def __init__(self, error: Exception | None = None) -> None:
        self.runs: list[tuple[int, str]] = []
        self.error = error

    def run(self, setting: AutoUpdateSetting, *, trigger: str, run_id: str | None = None) -> Any:
        self.runs.append((setting.id, trigger))
        if self.error is not None:
            raise self.error
        return None


def local_id(store: Store) -> int:
    local = store.environments.find(LOCAL_ENVIRONMENT)
    assert local is not None
    return local.id


def make_due(store: Store, setting: AutoUpdateSetting, ago: timedelta) -> datetime:
    """Move a setting's next run into the past, as if the service had been down."""
    when = datetime.now(UTC) - ago
    assert store.auto_updates.update(setting.id, setting.config, next_run_at=when) is not None
    return when


def test_a_due_setting_runs_once_and_moves_to_its_next_slot(store: Store) -> None:
    clock = SystemClock()
    schedules = ScheduleService(store.auto_updates, store.environments, clock)
    setting = schedules.create(NewAutoUpdate(local_id(store), "web", EVERY_MINUTE))
    make_due(store, setting, timedelta(days=2))  # 2,880 slots missed
    recorder = Recorder()
    scheduler = Scheduler(store.auto_updates, recorder, clock)
    assert scheduler.tick() == 1
    assert scheduler.stop(grace=10)
    assert recorder.runs == [(setting.id, TRIGGER)]
    stored = store.auto_updates.get(setting.id)
    assert stored is not None and stored.next_run_at is not None
    assert datetime.now(UTC) < stored.next_run_at <= datetime.now(UTC) + timedelta(minutes=1)
    assert store.auto_updates.due(datetime.now(UTC), 10) == []


def test_a_failing_run_is_pushed_back_and_counted_in_the_store(store: Store) -> None:
    clock = SystemClock()
    schedules = ScheduleService(store.auto_updates, store.environments, clock)
    setting = schedules.create(NewAutoUpdate(local_id(store), "web", EVERY_MINUTE))
    make_due(store, setting, timedelta(seconds=5))
    scheduler = Scheduler(store.auto_updates, Recorder(RuntimeError("bug")), clock)
    before = datetime.now(UTC)
    assert scheduler.tick() == 1
    assert scheduler.stop(grace=10)
    stored = store.auto_updates.get(setting.id)
    assert stored is not None
    assert stored.last_status is RunStatus.FAILED and stored.consecutive_failures == 1
    assert stored.next_run_at is not None and stored.next_run_at >= before + BACKOFF_FIRST


def test_a_disabled_or_deleted_setting_is_not_run(store: Store) -> None:
    clock = SystemClock()
    schedules = ScheduleService(store.auto_updates, store.environments, clock)
    kept = schedules.create(NewAutoUpdate(local_id(store), "kept", EVERY_MINUTE))
    gone = schedules.create(NewAutoUpdate(local_id(store), "gone", EVERY_MINUTE))
    make_due(store, kept, timedelta(minutes=1))
    make_due(store, gone, timedelta(minutes=1))
    assert schedules.update(kept.id, AutoUpdateConfig(enabled=False)) is not None
    assert schedules.delete(gone.id)
    recorder = Recorder()
    scheduler = Scheduler(store.auto_updates, recorder, clock)
    assert scheduler.tick() == 0
    assert scheduler.stop(grace=1) and recorder.runs == []


def test_two_scheduler_processes_never_run_the_same_slot_twice(
    store: Store, database_url: str
) -> None:
    clock = SystemClock()
    schedules = ScheduleService(store.auto_updates, store.environments, clock)
    ids = []
    for number in range(60):
        setting = schedules.create(NewAutoUpdate(local_id(store), f"c{number:02d}"))
        make_due(store, setting, timedelta(minutes=number % 7))
        ids.append(setting.id)

    results = run_in_processes(schedule_until_nothing_is_due, [(database_url,), (database_url,)])

    assert all(isinstance(slots, list) for slots in results), "\n".join(map(str, results))
    ran = [setting_id for slots in results for setting_id, _ in slots]
    assert Counter(ran) == Counter(ids), "a slot ran twice, or not at all"
    assert all(results), "one process did all the work: the test proved nothing"
    assert store.auto_updates.due(datetime.now(UTC), 100) == []


class SlotRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.slots: list[tuple[str, str]] = []

    def run_slot(self, slot: Any, *, trigger: str) -> Any:
        self.slots.append((slot.container_name, trigger))
        return None


def test_two_schedulers_on_one_database_run_a_label_slot_once(store: Store) -> None:
    from colibri.domain.service_plan import ContainerPlan, ScheduleSource

    clock = SystemClock()
    due = datetime.now(UTC) - timedelta(seconds=1)
    plan = ContainerPlan("* * * * *", "UTC", ScheduleSource.LABEL)
    store.label_slots.sync(local_id(store), {"web": (plan, due)})
    first, second = SlotRecorder(), SlotRecorder()
    one = Scheduler(store.auto_updates, first, clock, slots=store.label_slots)
    two = Scheduler(store.auto_updates, second, clock, slots=store.label_slots)
    started = one.tick() + two.tick() + one.tick()
    assert one.stop(grace=10) and two.stop(grace=10)
    assert started == 1
    assert first.slots + second.slots == [("web", TRIGGER)]
    slot = store.label_slots.get(local_id(store), "web")
    assert slot is not None and slot.next_run_at is not None and slot.next_run_at > due
