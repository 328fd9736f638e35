"""Engines and sessions, built on demand (never at import time).

SQLite is set up to be shared by several processes on one file (``colibri update`` from a
shell while ``colibri serve`` runs):

- WAL journal, so readers never block the writer and the writer never blocks readers;
- a 30 s busy timeout, so a writer waits for another's short transaction instead of failing
  with "database is locked";
- SQLAlchemy, not the ``sqlite3`` module, emits ``BEGIN``: ``BEGIN IMMEDIATE`` for every
  transaction that may write, so the write lock is taken up front and waited for. (A deferred
  transaction that reads first and writes later cannot wait: in WAL mode SQLite fails it at
  once if another process committed in between.) Read-only work asks for a plain ``BEGIN``
  through :data:`READ_ONLY`;
- foreign keys enforced, and the file's directory created when missing.

PostgreSQL always goes through psycopg 3, with pre-ping (a connection dropped by a restart of
the server is replaced, not handed out) and a connect timeout.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from colibri.errors import StoreError
from colibri.store.errors import translate
from colibri.store.urls import is_sqlite, normalise_url, redact, sqlite_path

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "READ_ONLY",
    "make_engine",
    "make_session_factory",
    "reading",
    "rowcount",
    "writing",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10
READ_ONLY: dict[str, Any] = {"colibri_read_only": True}
"""Execution options for a transaction that only reads (a deferred ``BEGIN`` on SQLite)."""


def make_engine(url: str | URL, *, migrating: bool = False) -> Engine:
    """An engine for ``url`` (see :mod:`colibri.store.urls` for the accepted forms).

    Nothing is connected yet: a wrong host or password shows up as ``StoreError`` on first
    use. ``migrating`` gives a pool-less engine whose SQLite connections do not enforce
    foreign keys, as Alembic's batch mode needs when it rebuilds a table.
    """
    parsed = url if isinstance(url, URL) else normalise_url(url)
    with translate(f"open database {redact(parsed)}", secret=parsed.password):
        if is_sqlite(parsed):
            return _sqlite_engine(parsed, migrating=migrating)
        return _postgres_engine(parsed, migrating=migrating)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def writing(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a write transaction, committed when the block ends without error."""
    with sessions.begin() as session:
        yield session


@contextmanager
def reading(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a read-only transaction, rolled back when the block ends."""
    with sessions() as session:
        session.connection(execution_options=READ_ONLY)
        yield session


def rowcount(session: Session, statement: Executable) -> int:
    """Execute an INSERT/UPDATE/DELETE without touching loaded objects; rows it changed.

    SQLAlchemy keeps the driver's row count of an ``INSERT`` only when asked to
    (``preserve_rowcount``); without it psycopg's is reported as -1.
    """
    options = {"synchronize_session": False, "preserve_rowcount": True}
    result = session.execute(statement, execution_options=options)
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(statement).__name__} returned no row count")
    return result.rowcount


def _sqlite_engine(url: URL, *, migrating: bool) -> Engine:
    path = sqlite_path(url)
    if path is None:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        _make_parent(Path(path))
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
            **({"poolclass": NullPool} if migrating else {}),
        )
    listener = partial(_on_sqlite_connect, wal=path is not None, foreign_keys=not migrating)
    event.listen(engine, "connect", listener)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the directory {path.parent} for the database: {exc.strerror or exc}"
        ) from exc


def _on_sqlite_connect(
    dbapi_connection: Any, _record: Any, *, wal: bool, foreign_keys: bool
) -> None:
    """Per connection: let SQLAlchemy emit BEGIN, wait when busy, WAL, foreign keys."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        if wal:
            _enable_wal(cursor)
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (a no-op once it is), waiting while another process does it.

    Changing the journal mode needs an exclusive lock, and SQLite reports "database is locked"
    at once instead of calling the busy handler, so this waits by itself, up to the timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            mode = str(cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01 + random.random() * 0.04)  # noqa: S311 - jitter, not secrets
    if mode.lower() != "wal":
        log.warning("SQLite refused WAL mode (journal mode is %s)", mode)


def _on_sqlite_begin(connection: Connection) -> None:
    """Take the write lock up front unless the transaction declared itself read-only."""
    read_only = connection.get_execution_options().get("colibri_read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _postgres_engine(url: URL, *, migrating: bool) -> Engine:
    connect_args: dict[str, Any] = {"application_name": "colibri"}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    if migrating:
        return create_engine(url, poolclass=NullPool, connect_args=connect_args)
    return create_engine(url, pool_pre_ping=True, pool_recycle=1800, connect_args=connect_args)
