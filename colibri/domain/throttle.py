"""Failed authentication, counted per client: after too many in a window, the client waits.

:class:`FailureWindow` keeps, for each client key (an address), the times of its recent
failures. A client with ``limit`` failures in the last ``window`` seconds is refused until
the oldest of them leaves the window; success does not reset the count (a guesser holding one
valid token must not get unlimited guesses at others). Memory is bounded: at most
``max_clients`` keys are kept, the least recently failing are forgotten first.

Pure: the caller passes the time (monotonic seconds) and holds a lock if it shares one window
between threads.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

__all__ = ["FailureWindow"]


@dataclass
class FailureWindow:
    """Recent failures per client; see the module's text."""

    limit: int = 10
    window: float = 60.0
    max_clients: int = 10_000
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def retry_after(self, client: str, now: float) -> float:
        """Seconds ``client`` must wait before trying again (0: it may try now)."""
        times = self._recent(client, now)
        if times is None or len(times) < self.limit:
            return 0.0
        return max(times[0] + self.window - now, 0.0)

    def failed(self, client: str, now: float) -> int:
        """Count one failure of ``client``; how many it has in the window now."""
        times = self._recent(client, now)
        if times is None:
            times = self._failures[client] = deque(maxlen=self.limit)
        times.append(now)
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)
        return len(times)

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times
