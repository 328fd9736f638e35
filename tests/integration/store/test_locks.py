"""Per-container update locks on SQLite and PostgreSQL, within one process and across several."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from colibri.domain.journal import LockOwner
from colibri.errors import LockHeld
from colibri.store import SqlJournal, Store
from colibri.store.tables import LockRow
from tests.integration.store.clock import START, FakeClock
from tests.integration.store.workers import race_for_locks, run_in_processes

KEY = "local/web"
ME = LockOwner(run_id="run-me", hostname="host-a", pid=100)
OTHER = LockOwner(run_id="run-other", hostname="host-b", pid=200)


def test_a_free_lock_is_taken(journal: SqlJournal) -> None:
    assert journal.lock_holder(KEY) is None

    journal.acquire_lock(KEY, ME, ttl_seconds=60)

    assert journal.lock_holder(KEY) == ME


def test_a_held_lock_is_refused_naming_its_holder(journal: SqlJournal) -> None:
    journal.acquire_lock(KEY, ME, ttl_seconds=60)

    with pytest.raises(LockHeld) as raised:
        journal.acquire_lock(KEY, OTHER, ttl_seconds=60)

    message = str(raised.value)
    assert "run-me" in message and "host-a" in message and "pid 100" in message
    assert raised.value.transient
    assert journal.lock_holder(KEY) == ME


def test_the_same_host_on_another_pid_is_refused(journal: SqlJournal) -> None:
    journal.acquire_lock(KEY, ME, ttl_seconds=60)
    with pytest.raises(LockHeld):
        journal.acquire_lock(KEY, LockOwner("run-x", ME.hostname, ME.pid + 1), ttl_seconds=60)


def test_an_expired_lock_is_taken_over(journal: SqlJournal, clock: FakeClock) -> None:
    journal.acquire_lock(KEY, OTHER, ttl_seconds=60)
    clock.advance(59)
    with pytest.raises(LockHeld):
        journal.acquire_lock(KEY, ME, ttl_seconds=60)
    clock.advance(1)

    assert journal.lock_holder(KEY) is None
    journal.acquire_lock(KEY, ME, ttl_seconds=60)

    assert journal.lock_holder(KEY) == ME


def test_the_same_host_and_pid_take_over_their_own_lock(journal: SqlJournal) -> None:
    journal.acquire_lock(KEY, ME, ttl_seconds=60)
    again = LockOwner("run-next", ME.hostname, ME.pid)

    journal.acquire_lock(KEY, again, ttl_seconds=60)

    assert journal.lock_holder(KEY) == again


def test_a_takeover_sets_a_new_lease(
    journal: SqlJournal, clock: FakeClock, clocked_store: Store
) -> None:
    journal.acquire_lock(KEY, OTHER, ttl_seconds=10)
    clock.advance(20)
    journal.acquire_lock(KEY, ME, ttl_seconds=30)

    with clocked_store.sessions() as session:
        row = session.scalars(select(LockRow)).one()
    assert (row.run_id, row.hostname, row.pid) == (ME.run_id, ME.hostname, ME.pid)
    assert row.acquired_at == START + timedelta(seconds=20)
    assert row.expires_at == START + timedelta(seconds=50)
    assert row.expires_at.tzinfo is UTC


def test_refresh_extends_the_owners_lease(journal: SqlJournal, clock: FakeClock) -> None:
    journal.acquire_lock(KEY, ME, ttl_seconds=60)
    clock.advance(50)
    journal.refresh_lock(KEY, ME, ttl_seconds=60)
    clock.advance(50)

    assert journal.lock_holder(KEY) == ME
    with pytest.raises(LockHeld):
        journal.acquire_lock(KEY, OTHER, ttl_seconds=60)


def test_refresh_fails_once_the_lock_was_taken_over(journal: SqlJournal, clock: FakeClock) -> None:
    journal.acquire_lock(KEY, ME, ttl_seconds=10)
    clock.advance(11)
    journal.acquire_lock(KEY, OTHER, ttl_seconds=60)

    with pytest.raises(LockHeld, match=r"taken over.*run-other"):
        journal.refresh_lock(KEY, ME, ttl_seconds=60)
    assert journal.lock_holder(KEY) == OTHER


def test_refresh_fails_once_the_lock_was_released(journal: SqlJournal) -> None:
    journal.acquire_lock(KEY, ME, ttl_seconds=60)
    journal.release_lock(KEY, ME)

    with pytest.raises(LockHeld, match="released"):
        journal.refresh_lock(KEY, ME, ttl_seconds=60)


def test_only_the_owner_releases(journal: SqlJournal) -> None:
    journal.acquire_lock(KEY, ME, ttl_seconds=60)

    journal.release_lock(KEY, OTHER)
    journal.release_lock(KEY, LockOwner("run-other", ME.hostname, ME.pid))
    assert journal.lock_holder(KEY) == ME

    journal.release_lock(KEY, ME)
    assert journal.lock_holder(KEY) is None
    journal.release_lock(KEY, ME)  # releasing a free lock is no error
    journal.acquire_lock(KEY, OTHER, ttl_seconds=60)
    assert journal.lock_holder(KEY) == OTHER


def test_locks_on_different_keys_are_independent(journal: SqlJournal) -> None:
    journal.acquire_lock("local/a", ME, ttl_seconds=60)
    journal.acquire_lock("local/b", OTHER, ttl_seconds=60)

    assert journal.lock_holder("local/a") == ME
    assert journal.lock_holder("local/b") == OTHER


def test_processes_racing_for_free_locks_each_lock_has_one_winner(
    store: Store, database_url: str
) -> None:
    keys = [f"env/container-{i}" for i in range(25)]

    results = run_in_processes(race_for_locks, [(database_url, w, keys) for w in range(3)])

    assert all(isinstance(won, list) for won in results), results
    winners = [key for won in results for key in won]
    assert sorted(winners) == sorted(keys)


def test_processes_racing_for_expired_locks_each_lock_has_one_winner(
    store: Store, database_url: str
) -> None:
    keys = [f"env/expired-{i}" for i in range(25)]
    past = datetime.now(UTC) - timedelta(hours=1)
    with store.sessions.begin() as session:
        session.add_all(
            LockRow(
                key=key, run_id="dead", hostname="gone", pid=1, acquired_at=past, expires_at=past
            )
            for key in keys
        )

    results = run_in_processes(race_for_locks, [(database_url, w, keys) for w in range(3)])

    assert all(isinstance(won, list) for won in results), results
    winners = [key for won in results for key in won]
    assert sorted(winners) == sorted(keys)
    holders = {store.journal.lock_holder(key) for key in keys}
    assert None not in holders and all(h is not None and h.run_id != "dead" for h in holders)


A = LockOwner("run-a", "shared-name", 1, instance="a" * 32, machine="boot/pid:[1]")
B = LockOwner("run-b", "shared-name", 1, instance="b" * 32, machine="boot/pid:[2]")


def test_two_instances_with_one_host_name_and_pid_are_two_holders(journal: SqlJournal) -> None:
    journal.acquire_lock(KEY, A, ttl_seconds=60)
    with pytest.raises(LockHeld, match=r"run-a on host shared-name \(pid 1, instance aaaaaaaa\)"):
        journal.acquire_lock(KEY, B, ttl_seconds=60)
    journal.release_lock(KEY, LockOwner("run-a", "shared-name", 1, instance="b" * 32))
    assert journal.lock_holder(KEY) == A  # B's process cannot release A's lock
    with pytest.raises(LockHeld):
        journal.refresh_lock(KEY, LockOwner("run-a", "shared-name", 1, "b" * 32), 60)


def test_an_instance_takes_over_its_own_lock_and_a_pre_instance_row_is_read_as_before(
    journal: SqlJournal,
) -> None:
    journal.acquire_lock(KEY, A, ttl_seconds=60)
    journal.acquire_lock(KEY, LockOwner("run-a2", "other", 9, A.instance, A.machine), 60)
    assert journal.lock_holder(KEY) == LockOwner("run-a2", "other", 9, A.instance, A.machine)
    journal.release_lock(KEY, LockOwner("run-a2", "other", 9, A.instance, A.machine))
    journal.acquire_lock(KEY, ME, ttl_seconds=60)  # no instance: as a row written before them
    assert journal.lock_holder(KEY) == ME
    with pytest.raises(LockHeld):
        journal.acquire_lock(KEY, LockOwner("run-x", ME.hostname, ME.pid, "c" * 32), 60)
    journal.release_lock(KEY, ME)
    assert journal.lock_holder(KEY) is None
