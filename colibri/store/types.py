"""Column types shared by the tables.

:class:`UtcDateTime` is why every time leaving the store is timezone-aware UTC on both
backends: PostgreSQL keeps a ``timestamptz``; SQLite, which has no time type, keeps naive UTC
text of fixed width (so text order is time order) and gets the UTC zone back on the way out.
A naive datetime on the way in is a bug in the caller and is refused rather than guessed at.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator

__all__ = ["UtcDateTime"]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` column (``timestamptz`` / naive-UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; times must be aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
