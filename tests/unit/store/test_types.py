"""UtcDateTime: aware UTC in and out, naive UTC text on SQLite, timestamptz on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect

from colibri.store.types import UtcDateTime

SQLITE = SQLiteDialect_pysqlite()
POSTGRES = PGDialect_psycopg()  # type: ignore[no-untyped-call]
PLUS_TWO = timezone(timedelta(hours=2))


def test_sqlite_gets_naive_utc() -> None:
    bound = UtcDateTime().process_bind_param(datetime(2030, 1, 1, 12, tzinfo=PLUS_TWO), SQLITE)
    assert bound == datetime(2030, 1, 1, 10)
    assert bound is not None and bound.tzinfo is None


def test_postgres_gets_aware_utc() -> None:
    bound = UtcDateTime().process_bind_param(datetime(2030, 1, 1, 12, tzinfo=PLUS_TWO), POSTGRES)
    assert bound == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert bound is not None and bound.tzinfo is UTC


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=["sqlite", "postgres"])
def test_a_naive_time_is_refused(dialect: Dialect) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UtcDateTime().process_bind_param(datetime(2030, 1, 1), dialect)


@pytest.mark.parametrize(
    ("stored", "dialect"),
    [
        (datetime(2030, 1, 1, 10), SQLITE),
        (datetime(2030, 1, 1, 12, tzinfo=PLUS_TWO), POSTGRES),
        (datetime(2030, 1, 1, 10, tzinfo=UTC), POSTGRES),
    ],
)
def test_results_come_back_aware_in_utc(stored: datetime, dialect: Dialect) -> None:
    value = UtcDateTime().process_result_value(stored, dialect)
    assert value == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert value is not None and value.tzinfo is UTC


def test_none_passes_through() -> None:
    assert UtcDateTime().process_bind_param(None, SQLITE) is None
    assert UtcDateTime().process_result_value(None, POSTGRES) is None
