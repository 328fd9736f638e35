"""Alembic migrations on SQLite and PostgreSQL: from empty, again, concurrently, vs the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from colibri.errors import StoreError
from colibri.store import current_revision, head_revision, make_engine, upgrade
from colibri.store.tables import Base
from tests.integration.store.workers import migrate, run_in_processes

TABLES = {"runs", "run_steps", "run_logs", "locks", "scan_records", "alembic_version"}


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
