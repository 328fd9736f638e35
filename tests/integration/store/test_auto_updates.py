"""Auto-update settings on SQLite and PostgreSQL: one per container, claims, results."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from colibri.domain.criteria import Level, OnFailure
from colibri.domain.environments import LOCAL_ENVIRONMENT, Endpoint, NewEnvironment
from colibri.domain.journal import RunStatus
from colibri.domain.settings import (
    AutoUpdateConfig,
    AutoUpdateSetting,
    GateOptions,
    NewAutoUpdate,
    Schedule,
    UpdatePolicy,
)
from colibri.errors import StoreError
from colibri.store import SqlAutoUpdates, Store, StoreConflict
from colibri.store.tables import AutoUpdateSettingRow
from tests.integration.store.clock import START, FakeClock

SOON = START + timedelta(hours=1)
CUSTOM = AutoUpdateConfig(
    schedule=Schedule.of("custom", "*/30 * * * *", "Europe/Paris"),
    criteria=Level.HIGH,
    gate=GateOptions(only_fixable=True, on_failure=OnFailure.WARN, require_signature=True),
    policy=UpdatePolicy.MINOR,
    notify=False,
)


@pytest.fixture
def settings(clocked_store: Store) -> SqlAutoUpdates:
    return clocked_store.auto_updates


@pytest.fixture
def local_id(clocked_store: Store) -> int:
    local = clocked_store.environments.find(LOCAL_ENVIRONMENT)
    assert local is not None
    return local.id


def create(
    settings: SqlAutoUpdates, local_id: int, name: str = "web", **kw: object
) -> AutoUpdateSetting:
    return settings.create(NewAutoUpdate(local_id, name, **kw))  # type: ignore[arg-type]


def test_a_setting_comes_back_whole(settings: SqlAutoUpdates, local_id: int) -> None:
    created = create(settings, local_id, config=CUSTOM, next_run_at=SOON)

    assert created == AutoUpdateSetting(
        id=created.id,
        environment_id=local_id,
        container_name="web",
        config=CUSTOM,
        created_at=START,
        updated_at=START,
        next_run_at=SOON,
    )
    assert settings.get(created.id) == created
    assert settings.find(local_id, "web") == created
    assert settings.find(local_id, "/web") == created


def test_unknown_ids_are_none_or_false(settings: SqlAutoUpdates, local_id: int) -> None:
    assert settings.get(404) is None
    assert settings.find(local_id, "nothing") is None
    assert settings.update(404, CUSTOM, next_run_at=SOON) is None
    assert settings.delete(404) is False
    assert settings.record_result(404, RunStatus.UPDATED) is None
    assert settings.claim(404, SOON, SOON + timedelta(days=1)) is False


def test_one_setting_per_container_and_environment(
    settings: SqlAutoUpdates, local_id: int, clocked_store: Store
) -> None:
    create(settings, local_id)

    with pytest.raises(StoreConflict, match="'web' already has an auto-update setting") as raised:
        create(settings, local_id, config=CUSTOM)
    assert raised.value.field == "container_name"

    other = clocked_store.environments.create(NewEnvironment("b", Endpoint("ssh://h")))
    assert create(settings, other.id).environment_id == other.id


def test_an_unknown_environment_is_a_conflict_on_its_id(settings: SqlAutoUpdates) -> None:
    with pytest.raises(StoreConflict, match="environment 4242 does not exist") as raised:
        settings.create(NewAutoUpdate(4242, "web"))
    assert raised.value.field == "environment_id"


def test_a_disabled_setting_has_no_next_run(settings: SqlAutoUpdates, local_id: int) -> None:
    created = create(settings, local_id, config=AutoUpdateConfig(enabled=False), next_run_at=SOON)
    assert created.next_run_at is None

    enabled = settings.update(created.id, AutoUpdateConfig(), next_run_at=SOON)
    assert enabled is not None and enabled.next_run_at == SOON


def test_update_replaces_the_choice_and_keeps_the_history(
    settings: SqlAutoUpdates, local_id: int, clock: FakeClock
) -> None:
    created = create(settings, local_id, next_run_at=SOON)
    settings.record_result(created.id, RunStatus.FAILED, run_id="r1")
    clock.advance(60)

    updated = settings.update(created.id, CUSTOM, next_run_at=SOON + timedelta(minutes=5))

    assert updated is not None
    assert updated.config == CUSTOM
    assert updated.next_run_at == SOON + timedelta(minutes=5)
    assert (updated.created_at, updated.updated_at) == (START, START + timedelta(seconds=60))
    assert (updated.last_run_id, updated.last_status, updated.consecutive_failures) == (
        "r1",
        RunStatus.FAILED,
        1,
    )
    assert settings.get(created.id) == updated


def test_delete_removes_the_setting(settings: SqlAutoUpdates, local_id: int) -> None:
    created = create(settings, local_id)
    assert settings.delete(created.id) is True
    assert settings.get(created.id) is None
    assert settings.delete(created.id) is False


def test_lists_by_environment_and_name_with_paging(
    settings: SqlAutoUpdates, local_id: int, clocked_store: Store
) -> None:
    other = clocked_store.environments.create(NewEnvironment("zz", Endpoint("ssh://h")))
    for name in ("c", "a", "b"):
        create(settings, local_id, name)
    create(settings, other.id, "a")

    everything = settings.list_settings()
    assert [(s.environment_id, s.container_name) for s in everything] == [
        (local_id, "a"),
        (local_id, "b"),
        (local_id, "c"),
        (other.id, "a"),
    ]
    assert [s.container_name for s in settings.list_settings(limit=2, offset=1)] == ["b", "c"]
    assert [s.environment_id for s in settings.list_settings(environment_id=other.id)] == [other.id]
    with pytest.raises(StoreError, match="limit and offset must be >= 0"):
        settings.list_settings(limit=-1)


def test_due_lists_enabled_settings_whose_time_has_come_oldest_first(
    settings: SqlAutoUpdates, local_id: int
) -> None:
    late = create(settings, local_id, "late", next_run_at=START - timedelta(hours=2))
    now = create(settings, local_id, "now", next_run_at=START)
    create(settings, local_id, "future", next_run_at=START + timedelta(seconds=1))
    create(settings, local_id, "unscheduled")
    create(settings, local_id, "off", config=AutoUpdateConfig(enabled=False), next_run_at=START)

    assert [s.id for s in settings.due(START, 10)] == [late.id, now.id]
    assert [s.id for s in settings.due(START, 1)] == [late.id]


def test_a_claim_moves_the_slot_once(settings: SqlAutoUpdates, local_id: int) -> None:
    created = create(settings, local_id, next_run_at=START)
    following = START + timedelta(days=1)

    assert settings.claim(created.id, START, following) is True
    assert settings.claim(created.id, START, following) is False
    current = settings.get(created.id)
    assert current is not None and current.next_run_at == following
    assert settings.due(START, 10) == []


def test_a_claim_fails_on_a_changed_or_disabled_setting(
    settings: SqlAutoUpdates, local_id: int
) -> None:
    created = create(settings, local_id, next_run_at=START)
    settings.update(created.id, AutoUpdateConfig(), next_run_at=START + timedelta(minutes=1))
    assert settings.claim(created.id, START, SOON) is False

    settings.update(created.id, AutoUpdateConfig(enabled=False), next_run_at=None)
    assert settings.claim(created.id, START + timedelta(minutes=1), SOON) is False


def test_a_claim_may_leave_no_next_run(settings: SqlAutoUpdates, local_id: int) -> None:
    created = create(settings, local_id, next_run_at=START)
    assert settings.claim(created.id, START, None) is True
    current = settings.get(created.id)
    assert current is not None and current.next_run_at is None


def test_results_count_consecutive_failures(settings: SqlAutoUpdates, local_id: int) -> None:
    created = create(settings, local_id)
    at = START + timedelta(minutes=3)

    first = settings.record_result(created.id, RunStatus.FAILED, run_id="r1", finished_at=at)
    second = settings.record_result(created.id, RunStatus.ROLLED_BACK, run_id="r2")
    blocked = settings.record_result(created.id, RunStatus.BLOCKED, run_id="r3")
    third = settings.record_result(created.id, RunStatus.FAILED, run_id="r4")
    healed = settings.record_result(created.id, RunStatus.UPDATED, run_id="r5")

    assert first is not None and (first.last_run_at, first.consecutive_failures) == (at, 1)
    assert second is not None and second.consecutive_failures == 2
    assert blocked is not None and blocked.consecutive_failures == 0
    assert third is not None and third.consecutive_failures == 1
    assert healed is not None
    assert (healed.last_run_id, healed.last_status, healed.consecutive_failures) == (
        "r5",
        RunStatus.UPDATED,
        0,
    )
    assert healed.last_run_at == START


def test_a_result_pushes_the_next_run_forward_never_back(
    settings: SqlAutoUpdates, local_id: int
) -> None:
    created = create(settings, local_id, next_run_at=SOON)

    later = settings.record_result(
        created.id, RunStatus.FAILED, next_run_at=SOON + timedelta(days=1)
    )
    earlier = settings.record_result(created.id, RunStatus.FAILED, next_run_at=START)

    assert later is not None and later.next_run_at == SOON + timedelta(days=1)
    assert earlier is not None and earlier.next_run_at == SOON + timedelta(days=1)


def test_a_result_does_not_schedule_a_disabled_setting(
    settings: SqlAutoUpdates, local_id: int
) -> None:
    created = create(settings, local_id, config=AutoUpdateConfig(enabled=False))

    result = settings.record_result(created.id, RunStatus.FAILED, next_run_at=SOON)

    assert result is not None and result.next_run_at is None


def test_daily_follows_the_current_default_cron(clocked_store: Store, local_id: int) -> None:
    created = create(clocked_store.auto_updates, local_id)
    with clocked_store.sessions.begin() as session:
        session.get_one(AutoUpdateSettingRow, created.id).cron = "0 3 * * *"

    current = clocked_store.auto_updates.get(created.id)

    assert current is not None and current.config.schedule == Schedule.of("daily")


def test_a_row_this_version_cannot_read_is_a_store_error(
    clocked_store: Store, local_id: int
) -> None:
    created = create(clocked_store.auto_updates, local_id)
    with clocked_store.sessions.begin() as session:
        session.get_one(AutoUpdateSettingRow, created.id).gate = {"quantum": True}

    with pytest.raises(StoreError, match=f"auto-update setting {created.id} in the database"):
        clocked_store.auto_updates.get(created.id)


def test_times_stay_aware_utc(settings: SqlAutoUpdates, local_id: int) -> None:
    created = create(settings, local_id, next_run_at=SOON)
    current = settings.get(created.id)
    assert current is not None and current.next_run_at is not None
    assert current.next_run_at.tzinfo is UTC and current.created_at.tzinfo is UTC
