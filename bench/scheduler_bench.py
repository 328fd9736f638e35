"""The scheduler's pass over 10,000 auto-update settings, on the store ``colibri serve`` uses.

Figures (median of several passes, in milliseconds), next to the floor measured in the same
run, the raw indexed query the pass is built on (``SELECT … WHERE enabled AND next_run_at <=
now ORDER BY next_run_at LIMIT n`` on ``ix_auto_update_settings_due``, by SQLAlchemy Core
without the repository around it):

* one pass with nothing due (what the loop does every second, nearly always);
* one pass with 100 settings due, each claimed by its conditional ``UPDATE`` and handed to a
  runner that does nothing (so what is measured is the scheduler and the store, not Docker).

Target: a pass with nothing due within 2x the floor plus 2 ms, and a pass claiming 100 within
the 1 s tick. SQLite by default (the embedded store); PostgreSQL too when
``BENCH_POSTGRES_URL`` names a server (and a database to connect to) where the role may
create databases: the benchmark creates its own there and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, true, update

from colibri.domain.environments import LOCAL_ENVIRONMENT
from colibri.domain.settings import AutoUpdateSetting
from colibri.registry.clock import SystemClock
from colibri.scheduler import Scheduler, SchedulerOptions
from colibri.store import Store, make_store
from colibri.store.tables import AutoUpdateSettingRow as Row

SETTINGS = int(os.environ.get("BENCH_SCHEDULER_SETTINGS", "10000"))
DUE = 100
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TARGET_RATIO, TARGET_SLACK_MS, TICK_MS = 2.0, 2.0, 1000.0


class NullRunner:
    """Takes each claimed setting and does nothing with it."""

    def __init__(self) -> None:
        self.runs = 0

    def run(self, setting: AutoUpdateSetting, *, trigger: str, run_id: str | None = None) -> Any:
        self.runs += 1
        return None


def run() -> dict[str, Any]:
    """SQLite always; PostgreSQL when ``BENCH_POSTGRES_URL`` is set."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="colibri-bench-") as tmp:
        figures["sqlite"] = run_backend(f"sqlite:///{Path(tmp) / 'colibri.db'}", "sqlite")
    postgres = os.environ.get("BENCH_POSTGRES_URL")
    if postgres:
        with _scratch_database(postgres) as url:
            figures["postgres"] = run_backend(url, "postgres")
    else:
        print("BENCH_POSTGRES_URL not set: PostgreSQL left out")
    figures["target_met"] = all(f["target_met"] for f in figures.values())
    return figures


def run_backend(url: str, backend: str) -> dict[str, Any]:
    print(f"== scheduler: one pass over {SETTINGS} settings ({backend})")
    with make_store(url) as store:
        _bulk_settings(store)
        runner = NullRunner()
        scheduler = Scheduler(
            store.auto_updates, runner, SystemClock(), SchedulerOptions(workers=DUE)
        )
        floor_ms, floor_all = _median(lambda: _timed(lambda: _raw_due(store)))
        idle_ms, idle_all = _median(lambda: _timed(scheduler.tick))
        busy_ms, busy_all, claimed = _busy_passes(store, scheduler)
        scheduler.stop(grace=10)
    figures = {
        "settings": SETTINGS,
        "floor_query_ms": round(floor_ms, 3),
        "floor_samples_ms": [round(s, 3) for s in floor_all],
        "tick_none_due_ms": round(idle_ms, 3),
        "tick_none_due_samples_ms": [round(s, 3) for s in idle_all],
        f"tick_{DUE}_due_ms": round(busy_ms, 3),
        f"tick_{DUE}_due_samples_ms": [round(s, 3) for s in busy_all],
        "claimed_per_pass": claimed,
        "ratio_to_floor": round(idle_ms / floor_ms, 2),
        "target_met": idle_ms <= TARGET_RATIO * floor_ms + TARGET_SLACK_MS
        and busy_ms <= TICK_MS
        and claimed == DUE,
    }
    _print(figures)
    return figures


def _bulk_settings(store: Store) -> None:
    """10,000 daily settings, none due: their next runs spread over the coming week."""
    local = store.environments.find(LOCAL_ENVIRONMENT)
    assert local is not None
    now = datetime.now(UTC)
    rows = [
        {
            "environment_id": local.id,
            "container_name": f"c{number:05d}",
            "enabled": True,
            "schedule_type": "daily",
            "cron": "0 4 * * *",
            "timezone": "UTC",
            "criteria": "never",
            "gate": {},
            "policy": "digest",
            "notify": True,
            "next_run_at": now + timedelta(hours=1, seconds=number * 60),
            "consecutive_failures": 0,
            "created_at": now,
            "updated_at": now,
        }
        for number in range(SETTINGS)
    ]
    with store.sessions.begin() as session:
        session.execute(insert(Row), rows)
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as connection:
            connection.execute(text("ANALYZE auto_update_settings"))
            connection.commit()


def _raw_due(store: Store) -> int:
    """The floor: the due query on its index, straight through SQLAlchemy Core."""
    query = (
        select(Row.id, Row.next_run_at)
        .where(Row.enabled == true(), Row.next_run_at <= datetime.now(UTC))
        .order_by(Row.next_run_at, Row.id)
        .limit(DUE)
    )
    with store.engine.connect() as connection:
        return len(connection.execute(query).all())


def _busy_passes(store: Store, scheduler: Scheduler) -> tuple[float, list[float], int]:
    """Passes that each find ``DUE`` settings due (made due again before every pass)."""
    samples, claimed = [], 0
    for offset in range(RUNS):
        _make_due(store, offset)
        started = time.perf_counter()
        claimed = scheduler.tick()
        samples.append((time.perf_counter() - started) * 1000)
        while scheduler.running:
            time.sleep(0.001)
    return statistics.median(samples), samples, claimed


def _make_due(store: Store, offset: int) -> None:
    first = 1 + (offset * DUE) % (SETTINGS - DUE)
    past = datetime.now(UTC) - timedelta(minutes=5)
    statement = update(Row).where(Row.id >= first, Row.id < first + DUE).values(next_run_at=past)
    with store.sessions.begin() as session:
        session.execute(statement)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _median(measure: Callable[[], float]) -> tuple[float, list[float]]:
    measure()  # warm up: connections, statement caches
    samples = [measure() for _ in range(RUNS)]
    return statistics.median(samples), samples


@contextmanager
def _scratch_database(admin_url: str) -> Iterator[str]:
    """A database of its own on ``admin_url``'s server, dropped afterwards."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url).set(drivername="postgresql")
    name = f"colibri_bench_{secrets.token_hex(4)}"
    libpq = admin.render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(drop)


def _print(figures: dict[str, Any]) -> None:
    print(f"floor: raw indexed due query  : {figures['floor_query_ms']:.3f} ms")
    print(f"scheduler pass, nothing due   : {figures['tick_none_due_ms']:.3f} ms")
    print(
        f"scheduler pass, {DUE} due      : {figures[f'tick_{DUE}_due_ms']:.3f} ms "
        f"({figures['claimed_per_pass']} claimed)"
    )
    verdict = "met" if figures["target_met"] else "MISSED"
    print(
        f"ratio to floor: {figures['ratio_to_floor']}x (target <= {TARGET_RATIO}x + "
        f"{TARGET_SLACK_MS:.0f} ms; {DUE} due within {TICK_MS:.0f} ms): {verdict}"
    )
