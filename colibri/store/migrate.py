"""Schema migrations: Alembic, run programmatically from the package (no ``alembic.ini``).

:func:`upgrade` brings a database to the newest schema. It runs on every start, so it must be
cheap when there is nothing to do and safe when two processes start at once:

- the whole upgrade is one transaction (both backends have transactional DDL);
- PostgreSQL: that transaction first takes an advisory lock, so a second process waits, then
  finds the schema already at head;
- SQLite: the transaction begins with ``BEGIN IMMEDIATE`` (see :mod:`colibri.store.db`), i.e.
  it holds the database's write lock from the start; the second process waits for it (busy
  timeout), then finds the schema at head. Foreign keys are not enforced while migrating (a
  batch-mode table rebuild would otherwise cascade deletes) and are checked before commit.

To write a new migration (see ``migrations/README``)::

    from alembic import command
    from colibri.store.migrate import alembic_config
    command.revision(alembic_config(url="sqlite:///dev.db"), "add x", autogenerate=True)
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from colibri.errors import StoreError
from colibri.store.db import make_engine
from colibri.store.errors import translate
from colibri.store.urls import normalise_url, redact

if TYPE_CHECKING:  # Alembic is imported only when a migration has to run
    from alembic.config import Config

__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "current_revision",
    "head_revision",
    "upgrade",
    "upgrade_engine",
]

log = logging.getLogger(__name__)

SCRIPT_LOCATION = "colibri.store:migrations"
ADVISORY_LOCK_ID = 0x636F6C6962726901
"""PostgreSQL advisory lock key held while migrating ("colibri" + 1)."""


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """An Alembic configuration for our migrations, on ``connection`` or else on ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this version of Colibri knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError(f"no migrations found in {SCRIPT_LOCATION}: the package is incomplete")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (the newest by default).

    Idempotent and safe to run from several processes at once. Raises ``StoreError`` naming
    the database (without password) when it cannot be reached or migrated, or when it was
    already migrated by a newer Colibri.
    """
    parsed = normalise_url(url)
    engine = make_engine(parsed, migrating=True)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """:func:`upgrade` on an existing engine (the only way to reach an in-memory SQLite).

    A database already at the newest revision is left alone without loading Alembic (a
    service starts with nothing to migrate almost always, and Alembic with its template engine
    is a good part of its memory)."""
    if revision == "head" and _at_head(engine):
        log.info("database %s is at the newest schema revision", redact(engine.url))
        return
    from alembic import command

    with (
        translate(f"migrate {redact(engine.url)}", secret=engine.url.password),
        engine.connect() as connection,
        connection.begin(),
    ):
        _serialise(connection)
        _refuse_unknown_revision(connection)
        command.upgrade(alembic_config(connection), revision)
        _check_foreign_keys(connection)
    log.info("database %s is at schema revision %s", redact(engine.url), revision)


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (``None`` when never migrated)."""
    parsed = normalise_url(url)
    engine = make_engine(parsed, migrating=True)
    try:
        from alembic.runtime.migration import MigrationContext

        with (
            translate(f"read schema revision of {redact(parsed)}", secret=parsed.password),
            engine.connect() as connection,
        ):
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _serialise(connection: Connection) -> None:
    """Make concurrent upgrades wait for each other (SQLite: already, by BEGIN IMMEDIATE)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})


def _refuse_unknown_revision(connection: Connection) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_revision()
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise StoreError(
            f"the database schema is at revision {current}, which this version of Colibri does "
            f"not know (newest known: {script.get_current_head()}); upgrade Colibri"
        )


_VERSIONS = Path(__file__).parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*(.+)$", re.MULTILINE)


def _at_head(engine: Engine) -> bool:
    """Whether the database is at this package's single newest revision, read with one query
    (no table yet, several heads or anything unexpected: ``False``, and Alembic decides)."""
    head = _file_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except Exception:  # noqa: BLE001 - no table, no database: let the real upgrade say so
        return False
    return [row[0] for row in rows] == [head]


def _file_head() -> str | None:
    """The revision no migration file names as its ``down_revision``, if exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in _VERSIONS.glob("[0-9]*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        down = _DOWN.search(source)
        if found is None or down is None:
            return None
        revisions.add(found.group(1))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise StoreError(f"migration left rows with dangling references in {', '.join(tables)}")
