"""A lock's heartbeat: while an update holds its container's lock, a thread extends the lease
every :data:`colibri.domain.holders.HEARTBEAT_SECONDS`, so that a pull or a scan longer than
the lease never lets another process take the lock of a live update, while a holder that died
loses it within one lease."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from colibri.errors import ColibriError

__all__ = ["Heartbeat"]

log = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(refresh, every):`` calls ``refresh`` every ``every`` seconds in a
    daemon thread until the block ends. A failed refresh is logged; the next one tries again."""

    def __init__(self, refresh: Callable[[], None], every: float) -> None:
        self.refresh = refresh
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="colibri-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.refresh()
            except ColibriError as exc:
                log.error("could not extend the update lock: %s", exc)
