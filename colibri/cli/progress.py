"""A progress bar on stderr that only appears when the work takes more than a moment."""

from __future__ import annotations

import sys
import threading
from types import TracebackType

__all__ = ["DelayedProgress"]

DELAY_SECONDS = 0.5


class DelayedProgress:
    """Show a Rich progress bar on stderr after :data:`DELAY_SECONDS`, if stderr is a
    terminal. ``update(done, total)`` may be called from any thread."""

    def __init__(self, label: str, *, delay: float = DELAY_SECONDS) -> None:
        self.label = label
        self.delay = delay
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0
        self._progress: object | None = None
        self._task: object | None = None
        self._timer: threading.Timer | None = None
        self._closed = False

    def __enter__(self) -> DelayedProgress:
        if sys.stderr.isatty():
            self._timer = threading.Timer(self.delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._progress is not None:
                self._progress.stop()  # type: ignore[attr-defined]

    def update(self, done: int, total: int) -> None:
        with self._lock:
            self._done, self._total = done, total
            if self._progress is not None:
                self._progress.update(self._task, completed=done, total=total)  # type: ignore[attr-defined]

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with self._lock:
            if self._closed:
                return
            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = progress.add_task(
                self.label, total=self._total or None, completed=self._done
            )
            progress.start()
            self._progress = progress
