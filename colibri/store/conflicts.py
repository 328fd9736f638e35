"""``StoreConflict``: a write refused because it clashes with what is stored.

A duplicate name, a second setting for one container, a row still referenced by others. The
message says which field and why; :attr:`StoreConflict.field` names the field for an API
(a 409, or a 422 naming the field). Callers outside the store cannot import this class (the
layers forbid it): they recognise it by ``kind == "conflict"`` on the ``StoreError`` they
catch, and read ``getattr(error, "field", None)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from colibri.errors import StoreError
from colibri.store.errors import describe

__all__ = ["StoreConflict", "unique"]


class StoreConflict(StoreError):
    """The write clashes with stored rows; ``field`` is the field at fault."""

    kind = "conflict"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@contextmanager
def unique(operation: str, table: str, clashes: Mapping[tuple[str, ...], str]) -> Iterator[None]:
    """Turn the violation of a unique constraint of ``table`` into a ``StoreConflict``.

    ``clashes`` maps the columns of each unique constraint to the message for a duplicate;
    the conflict's field is the last column. The constraint is recognised by its name
    (``uq_<table>_<columns>``, PostgreSQL) or by the columns SQLite lists. Other integrity
    errors pass through, for ``translate`` to report.
    """
    try:
        yield
    except IntegrityError as exc:
        said = describe(exc)
        for columns, message in clashes.items():
            if _names(said, table, columns):
                raise StoreConflict(f"{operation}: {message}", field=columns[-1]) from exc
        raise


def _names(said: str, table: str, columns: tuple[str, ...]) -> bool:
    """Whether the database's complaint ``said`` is about the unique ``columns`` of ``table``."""
    constraint = f'"uq_{table}_{"_".join(columns)}"'
    listed = "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
    return constraint in said or said == listed
