"""Alembic migrations on SQLite and PostgreSQL: from empty, again, concurrently, vs the models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, bindparam, inspect, text

from colibri.domain.journal import RunStatus, Step
from colibri.errors import StoreError
from colibri.store import current_revision, head_revision, make_engine, make_store, upgrade
from colibri.store.tables import Base
from colibri.store.types import UtcDateTime
from tests.integration.store.workers import migrate, run_in_processes

TABLES = {"runs", "run_steps", "run_logs", "locks", "scan_records", "alembic_version"} | {
    "environments",
    "auto_update_settings",
    "api_tokens",
    "notification_targets",
    "notification_log",
    "container_statuses",
    "skips",
    "seen_images",
    "events",
    "audit_log",
    "bad_digests",
    "label_slots",
    "web_sessions",
}


def tables_of(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_database_is_migrated_to_head(database_url: str) -> None:
    assert current_revision(database_url) is None

    upgrade(database_url)

    assert current_revision(database_url) == head_revision()
    assert tables_of(database_url) == TABLES


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)

    assert current_revision(database_url) == head_revision()
    assert tables_of(database_url) == TABLES


def test_the_models_and_the_migrations_agree(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert differences == []


def test_processes_starting_at_once_migrate_once(database_url: str) -> None:
    results = run_in_processes(migrate, [(database_url,) for _ in range(3)])

    assert results == ["ok", "ok", "ok"], "\n".join(map(str, results))
    assert current_revision(database_url) == head_revision()
    assert tables_of(database_url) == TABLES


def test_a_database_from_a_newer_colibri_is_refused(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()

    with pytest.raises(StoreError, match="revision 9999, which this version of Colibri"):
        upgrade(database_url)


def test_runs_written_at_the_first_revision_survive_every_later_one(database_url: str) -> None:
    upgrade(database_url, "0001")
    engine = make_engine(database_url)
    at = bindparam("at", type_=UtcDateTime())
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO runs (id, environment, container_name, container_id, image,"
                    " status, trigger, dry_run, started_at, reason) VALUES ('r1', 'local',"
                    " 'web', 'c1', 'nginx:1', 'running', 'cli', :no, :at, '')"
                ).bindparams(at),
                {"no": False, "at": datetime(2030, 1, 1, 12, tzinfo=UTC)},
            )
            connection.execute(
                text(
                    "INSERT INTO run_steps (run_id, seq, step, at, data)"
                    " VALUES ('r1', 1, 'snapshot', :at, :data)"
                ).bindparams(at, bindparam("data", type_=JSON())),
                {"at": datetime(2030, 1, 1, 12, 0, 1, tzinfo=UTC), "data": {"Id": "c1"}},
            )
    finally:
        engine.dispose()

    upgrade(database_url)

    with make_store(database_url) as store:
        run = store.journal.get_run("r1")
        assert run.status is RunStatus.RUNNING
        assert run.started_at == datetime(2030, 1, 1, 12, tzinfo=UTC)
        assert run.step_data(Step.SNAPSHOT) == {"Id": "c1"}
        assert [r.id for r in store.journal.unfinished_runs()] == ["r1"]
