"""Alembic environment: runs the migrations on the connection :mod:`colibri.store.migrate`
hands over (``config.attributes["connection"]``), or on ``sqlalchemy.url`` when Alembic is
driven by hand to write a new revision."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from colibri.store.db import make_engine
from colibri.store.tables import Base
from colibri.store.types import UtcDateTime


def run_on(connection: Connection) -> None:
    """Configure the migration context on ``connection`` and run the migrations."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy ones, so migrations never import models."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_on_url(url: str) -> None:
    """Open ``url`` the way Colibri does and migrate it in one transaction."""
    engine = make_engine(url, migrating=True)
    try:
        with engine.connect() as connection, connection.begin():
            run_on(connection)
    finally:
        engine.dispose()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url given to the migrations")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    run_on_url(url)


main()
