"""Fixtures of the store tests: a controllable clock and a journal on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from colibri.store import SqlJournal, Store, make_store

START = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


class FakeClock:
    """``colibri.domain.ports.Clock`` that moves only when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return (self.current - START).total_seconds()

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clocked_store(database_url: str, clock: FakeClock) -> Iterator[Store]:
    """A migrated store whose journal reads ``clock``."""
    with make_store(database_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def journal(clocked_store: Store) -> SqlJournal:
    return clocked_store.journal
