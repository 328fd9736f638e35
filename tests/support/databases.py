"""Databases for the tests: a fresh SQLite file per test, and a real PostgreSQL.

``database_url`` is parametrised over ``sqlite`` and ``postgres``, so a test that takes it (or
``store``) runs on both backends; the PostgreSQL variant carries the ``postgres`` marker. Each
test gets an empty database: a new SQLite file in its ``tmp_path``, or on PostgreSQL an empty
``public`` schema in a database created for this test session (``colibri_t<random>``, with
the ``colibri`` role) and dropped at its end.

The server is reached through ``COLIBRI_TEST_POSTGRES_URL`` (an existing database the role can
connect to; default ``postgresql://colibri:colibri@127.0.0.1:5432/colibri_test``). When it does
not answer, the PostgreSQL tests fail, saying how to start it: they never skip.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from colibri.store import Store, make_store, redact

POSTGRES_URL_ENV = "COLIBRI_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://colibri:colibri@127.0.0.1:5432/colibri_test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _libpq(url: URL) -> str:
    """``url`` as a libpq connection URI (no SQLAlchemy driver suffix, password kept)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin_url() -> URL:
    return make_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)


def _connect(url: URL) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(_libpq(url), autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL does not answer at {redact(url)} ({exc}); "
            "run `scripts/setup-system postgres` (or set "
            f"{POSTGRES_URL_ENV} to a server where role colibri may create databases)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a database created for this test session, dropped at its end."""
    admin = _admin_url()
    name = f"colibri_t{secrets.token_hex(4)}"
    with _connect(admin) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _libpq(admin.set(database=name))
    finally:
        _drop_database(admin, name)


def _drop_database(admin: URL, name: str) -> None:
    """Drop the session's database, retrying while its last connections are going away
    (``WITH (FORCE)`` waits only 5 s for the backends it terminates)."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    for attempt in range(5):
        try:
            with _connect(admin) as connection:
                connection.execute(statement)
            return
        except psycopg.OperationalError:
            if attempt == 4:
                raise
            time.sleep(1 + attempt)


def empty_postgres_schema(url: str) -> None:
    """Drop everything in the ``public`` schema of ``url``'s database."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
        connection.execute("SET lock_timeout = '10s'")
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgres``: the backend this run of the test uses."""
    return str(request.param)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database_backend: str, tmp_path: Path) -> str:
    """The URL of an empty database on the backend of this run of the test."""
    if database_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'colibri.db'}"
    url = str(request.getfixturevalue("postgres_database"))
    empty_postgres_schema(url)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on an empty database, closed after the test."""
    with make_store(database_url) as opened:
        yield opened
