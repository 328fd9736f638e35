"""The scheduler's queries at scale and under contention, on SQLite and PostgreSQL.

``due`` must cost what the due rows cost, not what all settings cost: with 10,000 settings the
plan must read the due ones from ``ix_auto_update_settings_due`` in order (no table scan, no
sort), and on PostgreSQL the index scan must fetch only the due rows. ``claim`` must let one
process, and only one, run each slot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text

from colibri.domain.environments import LOCAL_ENVIRONMENT
from colibri.domain.settings import NewAutoUpdate
from colibri.store import Store
from colibri.store.tables import AutoUpdateSettingRow
from tests.integration.store.clock import START
from tests.integration.store.service_workers import claim_due_settings
from tests.integration.store.workers import run_in_processes

SETTINGS = 10_000
DUE = 10
DISABLED = 500


def bulk_settings(store: Store, environment_id: int) -> None:
    """10,000 settings: ``DUE`` due now, ``DISABLED`` disabled (an old next run left behind,
    which the index must skip too), the rest due over the next weeks."""
    rows = []
    for number in range(SETTINGS):
        due = number % (SETTINGS // DUE) == 0
        disabled = number % (SETTINGS // DISABLED) == 1
        rows.append(
            {
                "environment_id": environment_id,
                "container_name": f"c{number:05d}",
                "enabled": not disabled,
                "schedule_type": "daily",
                "cron": "0 4 * * *",
                "timezone": "UTC",
                "criteria": "never",
                "gate": {},
                "policy": "digest",
                "notify": True,
                "next_run_at": START - timedelta(minutes=1)
                if due or disabled
                else START + timedelta(minutes=number),
                "consecutive_failures": 0,
                "created_at": START,
                "updated_at": START,
            }
        )
    with store.sessions.begin() as session:
        session.execute(insert(AutoUpdateSettingRow), rows)
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as connection:
            connection.execute(text("ANALYZE auto_update_settings"))
            connection.commit()


@contextmanager
def captured_selects(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements run on ``engine`` inside the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def sqlite_plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [str(row[-1]) for row in rows]


def postgres_plan(engine: Engine, statement: str, parameters: Any) -> list[dict[str, Any]]:
    """Every node of the executed plan, depth first."""
    with engine.connect() as connection:
        explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}"
        document = connection.exec_driver_sql(explain, parameters).scalar_one()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


@pytest.fixture
def local_id(clocked_store: Store) -> int:
    local = clocked_store.environments.find(LOCAL_ENVIRONMENT)
    assert local is not None
    return local.id


def test_due_reads_only_the_due_rows_of_ten_thousand(clocked_store: Store, local_id: int) -> None:
    bulk_settings(clocked_store, local_id)

    with captured_selects(clocked_store.engine) as selects:
        due = clocked_store.auto_updates.due(START, 100)

    assert len(due) == DUE
    assert all(s.config.enabled and s.next_run_at is not None for s in due)
    assert [s.next_run_at for s in due] == sorted(s.next_run_at for s in due if s.next_run_at)
    [(statement, parameters)] = selects
    if clocked_store.engine.dialect.name == "sqlite":
        plan = sqlite_plan(clocked_store.engine, statement, parameters)
        assert plan == [
            "SEARCH auto_update_settings USING INDEX ix_auto_update_settings_due"
            " (enabled=? AND next_run_at<?)"
        ]
    else:
        nodes = postgres_plan(clocked_store.engine, statement, parameters)
        kinds = [node["Node Type"] for node in nodes]
        assert "Seq Scan" not in kinds and "Sort" not in kinds, kinds
        [scan] = [node for node in nodes if node.get("Index Name") == "ix_auto_update_settings_due"]
        assert scan["Actual Rows"] == DUE
        assert scan.get("Rows Removed by Filter", 0) == 0


def test_processes_claiming_due_settings_run_each_slot_once(
    store: Store, database_url: str
) -> None:
    local = store.environments.find(LOCAL_ENVIRONMENT)
    assert local is not None
    ids = [
        store.auto_updates.create(NewAutoUpdate(local.id, f"c{n}", next_run_at=START)).id
        for n in range(40)
    ]

    results = run_in_processes(claim_due_settings, [(database_url, START) for _ in range(3)])

    assert all(isinstance(won, list) for won in results), "\n".join(map(str, results))
    claimed = [setting_id for won in results for setting_id in won]
    assert sorted(claimed) == sorted(ids)
    assert store.auto_updates.due(START, 100) == []
