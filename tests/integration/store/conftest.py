"""Fixtures of the store tests: a controllable clock and a journal on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from colibri.store import SqlJournal, Store, make_store
from tests.integration.store.clock import FakeClock


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
