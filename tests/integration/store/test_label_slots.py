"""The containers' plans and label slots on SQLite and PostgreSQL: synced without moving an
unchanged slot, claimed by one caller only, results recorded."""

from __future__ import annotations

from datetime import timedelta

from colibri.domain.journal import RunStatus
from colibri.domain.service_plan import ContainerPlan, Mode, ScheduleSource
from colibri.store import Store
from tests.integration.store.clock import START

EVERY_MINUTE = ContainerPlan("* * * * *", "UTC", ScheduleSource.LABEL)
NIGHTLY = ContainerPlan("0 3 * * *", "UTC", ScheduleSource.DEFAULT)
SOON = START + timedelta(minutes=1)


def test_a_sync_keeps_unchanged_slots_moves_changed_ones_and_drops_gone_ones(
    clocked_store: Store,
) -> None:
    slots = clocked_store.label_slots
    slots.sync(1, {"web": (EVERY_MINUTE, SOON), "db": (NIGHTLY, START + timedelta(hours=3))})
    later = SOON + timedelta(minutes=5)
    monitor = ContainerPlan("* * * * *", "UTC", ScheduleSource.LABEL, Mode.NOTIFY, False)
    slots.sync(1, {"web": (monitor, later), "cache": (NIGHTLY, later)})
    web = slots.get(1, "web")
    assert web is not None and web.next_run_at == SOON  # same schedule: same slot
    assert (web.plan.mode, web.plan.cleanup) == (Mode.NOTIFY, False)
    assert slots.get(1, "db") is None
    assert [s.container_name for s in slots.list_slots()] == ["cache", "web"]
    slots.sync(1, {"web": (NIGHTLY, later)})
    moved = slots.get(1, "web")
    assert moved is not None and (moved.plan.cron, moved.next_run_at) == ("0 3 * * *", later)


def test_a_due_slot_is_claimed_once_and_a_setting_slot_never_listed(clocked_store: Store) -> None:
    slots = clocked_store.label_slots
    setting = ContainerPlan("0 4 * * *", "UTC", ScheduleSource.SETTING)
    slots.sync(1, {"web": (EVERY_MINUTE, START), "db": (setting, None)})
    [due] = slots.due(START, 10)
    assert due.container_name == "web"
    assert slots.claim(1, "web", START, SOON) is True
    assert slots.claim(1, "web", START, SOON) is False  # the other replica lost
    assert slots.due(START, 10) == []
    slots.record_result(
        1, "web", RunStatus.FAILED, run_id="r1", next_run_at=SOON + timedelta(hours=1)
    )
    after = slots.get(1, "web")
    assert after is not None
    assert (after.last_status, after.last_run_id) == (RunStatus.FAILED, "r1")
    assert after.next_run_at == SOON + timedelta(hours=1)  # pushed back, never forward
    slots.record_result(1, "web", RunStatus.UPDATED, next_run_at=START)
    again = slots.get(1, "web")
    assert again is not None and again.next_run_at == SOON + timedelta(hours=1)


def test_a_setting_made_since_the_last_sync_takes_over_at_once(clocked_store: Store) -> None:
    from colibri.domain.settings import NewAutoUpdate

    clocked_store.label_slots.sync(1, {"web": (EVERY_MINUTE, START)})
    clocked_store.auto_updates.create(NewAutoUpdate(1, "web"))
    assert clocked_store.label_slots.due(START, 10) == []
