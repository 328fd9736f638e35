"""Engines on real databases: SQLite's settings, several writer processes, broken URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from colibri.domain.journal import NewRun, RunStatus
from colibri.errors import StoreError
from colibri.store import Store, make_engine, make_store
from colibri.store.tables import RunLogRow, RunStepRow
from tests.integration.store.workers import run_in_processes, write_runs
from tests.support.databases import _admin_url


def sqlite_pragma(store: Store, name: str) -> object:
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_is_set_up_for_several_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'colibri.db'}"

    with make_store(url) as store:
        assert (tmp_path / "deep" / "er" / "colibri.db").is_file()
        assert sqlite_pragma(store, "journal_mode") == "wal"
        assert sqlite_pragma(store, "busy_timeout") == 30_000
        assert sqlite_pragma(store, "foreign_keys") == 1


def test_sqlite_in_memory_works_for_one_process() -> None:
    with make_store("sqlite://") as store:
        run = store.journal.start_run(NewRun("local", "web", "id", "image:1"))
        assert store.journal.get_run(run.id).id == run.id


@pytest.mark.postgres
def test_postgres_urls_in_every_spelling_reach_the_server(postgres_database: str) -> None:
    url = make_url(postgres_database)
    for scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        spelled = url.set(drivername=scheme).render_as_string(hide_password=False)
        engine = make_engine(spelled)
        try:
            with engine.connect() as connection:
                assert connection.exec_driver_sql("SELECT 1").scalar() == 1
            assert engine.dialect.driver == "psycopg"
        finally:
            engine.dispose()


def test_writers_in_several_processes_all_get_through(store: Store, database_url: str) -> None:
    results = run_in_processes(write_runs, [(database_url, w, 3, 40) for w in range(3)])

    assert all(isinstance(ids, list) for ids in results), "\n".join(map(str, results))
    ids = [run_id for worker_ids in results for run_id in worker_ids]
    assert len(set(ids)) == 9
    for run_id in ids:
        run = store.journal.get_run(run_id)
        assert [step.seq for step in run.steps] == list(range(1, 41))
        assert len(run.logs) == 40 and run.status is RunStatus.UPDATED
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RunStepRow)) == 360
        assert session.scalar(select(func.count()).select_from(RunLogRow)) == 360


def broken_urls(backend: str, tmp_path: Path) -> list[tuple[str, str]]:
    """(URL with the password ``s3cr3t-pw``, what the error must say) on ``backend``."""
    if backend == "sqlite":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        garbage = tmp_path / "garbage.db"
        garbage.write_bytes(b"this is not a database at all" * 100)
        return [
            (f"sqlite:///{blocker}/colibri.db", "a-file"),
            (f"sqlite:///{garbage}", "not a database"),
        ]
    admin = _admin_url()
    host, port = admin.host or "127.0.0.1", admin.port or 5432
    return [
        (f"postgresql://colibri:s3cr3t-pw@{host}:1/colibri", "127.0.0.1"),
        (f"postgres://colibri:s3cr3t-pw@{host}:{port}/colibri_test", "password authentication"),
        (f"postgresql://nobody:s3cr3t-pw@{host}:{port}/nowhere", "nobody"),
    ]


def test_a_broken_database_is_a_store_error_without_the_password(
    database_backend: str, tmp_path: Path
) -> None:
    for url, expected in broken_urls(database_backend, tmp_path):
        with pytest.raises(StoreError) as raised:
            make_store(url)
        message = str(raised.value)
        assert expected in message, message
        assert "s3cr3t-pw" not in message, message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "empty"),
        ("mysql://root:s3cr3t-pw@db/colibri", "unsupported database"),
        ("postgresql+psycopg2://u:s3cr3t-pw@db/colibri", "unsupported database"),
        ("not a url at all", "not a valid database URL"),
        ("postgresql://u:s3cr3t-pw@db:notaport/colibri", "not a valid database URL"),
    ],
)
def test_an_unusable_url_is_refused_before_connecting(url: str, expected: str) -> None:
    with pytest.raises(StoreError, match=expected) as raised:
        make_store(url)
    assert "s3cr3t-pw" not in str(raised.value)
