"""Translation of SQLAlchemy, driver and Alembic exceptions into ``colibri.errors.StoreError``.

Messages name the operation and the database's own first line of complaint; they never carry
the SQL statement or its parameters (a parameter can be a 50 KB ``docker inspect``) and never a
password.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

from colibri.errors import StoreError
from colibri.store.urls import redact

__all__ = ["describe", "translate"]


@contextmanager
def translate(operation: str, *, secret: str | None = None) -> Iterator[None]:
    """Run database work; re-raise its failure as a ``StoreError`` naming ``operation``.

    ``secret`` (a password) is removed from the database's words should a driver ever echo
    it; the operation, written by us, shows URLs through ``redact`` only.
    """
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if not isinstance(exc, SQLAlchemyError | OSError) and not _from_alembic(exc):
            raise
        detail = describe(exc)
        if secret:
            detail = detail.replace(secret, "***")
        raise StoreError(f"{operation}: {detail}") from exc


def _from_alembic(exc: Exception) -> bool:
    """An Alembic ``CommandError``, recognised without importing Alembic (it is loaded only
    when a migration runs)."""
    alembic = sys.modules.get("alembic.util.exc")
    error = getattr(alembic, "CommandError", None)
    return isinstance(error, type) and isinstance(exc, error)


def describe(exc: BaseException) -> str:
    """The useful first line of a database failure, without statement or parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, StatementError) and exc.orig is not None:
        text = f"{type(exc.orig).__name__}: {exc.orig}"
    else:
        text = str(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return redact(first or type(exc).__name__)
