"""A controllable clock for the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
