"""Notification targets and the de-duplication log on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from colibri.domain.events import EventKind
from colibri.domain.notifications import NewNotificationTarget
from colibri.errors import StoreError
from colibri.store import SqlNotificationLog, SqlNotificationTargets, Store, StoreConflict
from colibri.store.tables import NotificationTargetRow
from tests.integration.store.clock import START, FakeClock
from tests.integration.store.service_workers import record_notification_keys
from tests.integration.store.workers import run_in_processes

URL = "json://user:s3cr3t@hooks.example.com/colibri"
OPS = NewNotificationTarget("ops", URL, frozenset({EventKind.FAILED, EventKind.ROLLED_BACK}))


@pytest.fixture
def targets(clocked_store: Store) -> SqlNotificationTargets:
    return clocked_store.notification_targets


@pytest.fixture
def log(clocked_store: Store) -> SqlNotificationLog:
    return clocked_store.notification_log


def test_a_target_comes_back_whole(targets: SqlNotificationTargets) -> None:
    created = targets.create(OPS)

    assert (created.name, created.url, created.events, created.enabled) == (
        "ops",
        URL,
        OPS.events,
        True,
    )
    assert created.created_at == START
    assert targets.get(created.id) == created
    assert targets.list_targets() == [created]
    assert "s3cr3t" not in repr(created)


def test_unknown_target_ids_are_none_or_false(targets: SqlNotificationTargets) -> None:
    assert targets.get(77) is None
    assert targets.update(77, OPS) is None
    assert targets.delete(77) is False


def test_target_names_are_unique(targets: SqlNotificationTargets) -> None:
    targets.create(OPS)
    with pytest.raises(StoreConflict, match="'ops' already exists") as raised:
        targets.create(NewNotificationTarget("ops", "ntfy://topic"))
    assert raised.value.field == "name"
    assert "s3cr3t" not in str(raised.value)


def test_update_and_delete(targets: SqlNotificationTargets) -> None:
    created = targets.create(OPS)
    other = targets.create(NewNotificationTarget("chat", "ntfy://topic", enabled=False))

    updated = targets.update(created.id, NewNotificationTarget("ops", "ntfy://new", enabled=False))

    assert updated is not None
    assert (updated.id, updated.url, updated.events, updated.enabled) == (
        created.id,
        "ntfy://new",
        frozenset(EventKind),
        False,
    )
    assert [t.name for t in targets.list_targets()] == ["chat", "ops"]
    with pytest.raises(StoreConflict):
        targets.update(created.id, NewNotificationTarget("chat", "ntfy://x"))
    assert targets.delete(other.id) is True
    assert [t.id for t in targets.list_targets()] == [created.id]


def test_an_unknown_event_in_the_database_is_a_store_error(clocked_store: Store) -> None:
    created = clocked_store.notification_targets.create(OPS)
    with clocked_store.sessions.begin() as session:
        session.get_one(NotificationTargetRow, created.id).events = ["exploded"]

    with pytest.raises(StoreError, match=f"notification target {created.id} in the database"):
        clocked_store.notification_targets.list_targets()


def test_a_key_is_new_only_the_first_time(log: SqlNotificationLog) -> None:
    key = "update_available/local/web/sha256:" + "a" * 64

    assert log.first_time(key) is True
    assert log.first_time(key) is False
    assert log.first_time(key.replace("web", "db")) is True


def test_keys_are_bounded(log: SqlNotificationLog) -> None:
    with pytest.raises(StoreError, match="1-1024 characters"):
        log.first_time("")
    with pytest.raises(StoreError, match="1-1024 characters"):
        log.first_time("k" * 1025)
    assert log.first_time("k" * 1024) is True


def test_old_keys_can_be_forgotten(log: SqlNotificationLog, clock: FakeClock) -> None:
    log.first_time("old")
    clock.advance(3600)
    log.first_time("new")

    assert log.forget_before(START + timedelta(minutes=30)) == 1

    assert log.first_time("old") is True
    assert log.first_time("new") is False


def test_processes_recording_one_key_have_one_first(store: Store, database_url: str) -> None:
    keys = [f"update_available/local/c{n}/sha256:{n:064d}" for n in range(30)]

    results = run_in_processes(record_notification_keys, [(database_url, keys) for _ in range(3)])

    assert all(isinstance(firsts, list) for firsts in results), "\n".join(map(str, results))
    firsts = [key for won in results for key in won]
    assert sorted(firsts) == sorted(keys)
