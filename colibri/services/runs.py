"""Update runs: "run now", history, and live progress (``/api/runs``, ``POST
/api/auto-updates/{id}/run``).

:meth:`RunService.start_now` answers at once: it writes the run row (trigger ``api``) and
hands the setting to the :class:`~colibri.services.runner.SettingRunner` in a bounded pool of
worker threads, so the caller gets an id to follow before the check has even started. A run
of a container that is already being updated (by the scheduler, another request, or another
process) ends ``skipped``.

:meth:`RunService.follow` turns the journal into progress events for server-sent events: it
polls the run and yields each new step and log line as it is written, then one final event
with the outcome, and ends. It only reads, so any number of clients may follow one run.

On shutdown :meth:`RunService.drain` stops taking runs and waits a bounded time for the
running ones; a run still going then is left to the journal and ``colibri recover`` (which
``colibri serve`` runs at every start); a run still queued is closed as ``skipped``. A queued
run whose row another process's recovery closed meanwhile does not start (see
:class:`~colibri.services.runner.SettingRunner`).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from colibri.domain.journal import NewRun, RunRecord, RunStatus, StepRecord
from colibri.domain.ports import AutoUpdates, Clock, Environments, Journal
from colibri.errors import ColibriError, StoreError
from colibri.services.paging import check_page
from colibri.services.runner import SettingRunner

__all__ = ["RunService", "Seen"]

log = logging.getLogger(__name__)

TRIGGER = "api"
_UNKNOWN_RUN = "unknown run id"  # what SqlJournal.get_run says of an id it does not have
_MAX_RUN_ID = 64


@dataclass(frozen=True, slots=True)
class Seen:
    """How much of a run a follower has had: steps, log lines, and whether it finished."""

    steps: int = 0
    logs: int = 0
    finished: bool = False


class RunService:
    """Starts runs in the background and reads them back from the journal."""

    def __init__(
        self,
        journal: Journal,
        runner: SettingRunner,
        auto_updates: AutoUpdates,
        environments: Environments,
        clock: Clock,
        *,
        workers: int = 4,
    ) -> None:
        self.journal = journal
        self.runner = runner
        self.auto_updates = auto_updates
        self.environments = environments
        self.clock = clock
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="colibri-run")
        self._lock = threading.Lock()
        self._running: dict[Future[Any], str] = {}
        self._closed = False

    def start_now(self, setting_id: int) -> str | None:
        """Run setting ``setting_id`` now, in the background; its run id at once, ``None``
        for an unknown setting. A disabled setting runs too (``enabled`` is about its
        schedule). ``StoreError`` when the run cannot be recorded, and after :meth:`drain`
        (the service is stopping)."""
        setting = self.auto_updates.get(setting_id)
        if setting is None:
            return None
        environment = self.environments.get(setting.environment_id)
        if environment is None:
            return None
        new = NewRun(
            environment.name,
            setting.container_name,
            "",
            "",
            trigger=TRIGGER,
            run_id=secrets.token_hex(16),
        )
        with self._lock:
            if self._closed:
                raise StoreError("colibri is shutting down: no new runs")
            run = self.journal.start_run(new)
            future = self._pool.submit(self.runner.run, setting, trigger=TRIGGER, run_id=run.id)
            self._running[future] = run.id
        future.add_done_callback(self._done)
        log.info("run %s of %s started on request", run.id, setting.container_name)
        return run.id

    def list_runs(
        self,
        container_name: str | None = None,
        environment: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs, newest first, without steps and logs; ``Invalid`` for a bad page."""
        check_page(limit, offset)
        return self.journal.list_runs(
            container_name=container_name, environment=environment, limit=limit, offset=offset
        )

    def get_run(self, run_id: str) -> RunRecord | None:
        """One run with its steps and logs, or ``None`` for an unknown id."""
        if not run_id or len(run_id) > _MAX_RUN_ID:
            return None
        try:
            return self.journal.get_run(run_id)
        except StoreError as exc:
            if _UNKNOWN_RUN in str(exc):
                return None
            raise

    def follow(self, run_id: str, poll: float = 0.5) -> Iterator[dict[str, Any]]:
        """Progress events of a run until it finishes (nothing for an unknown id):
        ``{"event": "step", "seq", "step", "at"}`` per journal step, ``{"event": "log",
        "at", "level", "message"}`` per log line, then ``{"event": "finished", "status",
        "reason", "finished_at", "downtime_ms", "new_digest"}``. Polls every ``poll``
        seconds; a run that is already finished yields its whole story at once."""
        seen = Seen()
        while True:
            found = self.progress(run_id, seen)
            if found is None:
                return
            events, seen = found
            yield from events
            if seen.finished:
                return
            self.clock.sleep(poll)

    def progress(self, run_id: str, seen: Seen) -> tuple[list[dict[str, Any]], Seen] | None:
        """One look at a run: the events written since ``seen`` (as :meth:`follow` yields
        them) and what has been seen now; ``None`` for an unknown id. It never waits, so an
        asynchronous caller can poll without holding a thread in between."""
        run = self.get_run(run_id)
        if run is None:
            return None
        events = [_step_event(step) for step in run.steps[seen.steps :]]
        events += [_log_event(line) for line in run.logs[seen.logs :]]
        finished = run.status is not RunStatus.RUNNING
        if finished:
            events.append(_finished_event(run))
        return events, Seen(len(run.steps), len(run.logs), finished)

    def drain(self, timeout: float) -> bool:
        """Take no more runs; wait up to ``timeout`` seconds for the running ones. ``True``
        when none is left running (the rest are left to recovery)."""
        with self._lock:
            self._closed = True
            running = set(self._running)
        _, pending = wait(running, timeout=max(timeout, 0.0))
        self._pool.shutdown(wait=False, cancel_futures=True)
        if pending:
            log.warning("%d run(s) still going: left to recovery", len(pending))
        return not pending

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            run_id = self._running.pop(future, None)
        if future.cancelled():
            self._close_unstarted(run_id)
            return
        error = future.exception()
        if error is not None and not isinstance(error, ColibriError):
            log.error("a run ended with an unexpected error: %r", error)

    def _close_unstarted(self, run_id: str | None) -> None:
        """A queued run the shutdown cancelled: nothing was done, so say so now rather than
        leave it to the next start's recovery."""
        if run_id is None:
            return
        try:
            self.journal.finish_run(
                run_id, RunStatus.SKIPPED, reason="colibri stopped before this run began"
            )
        except ColibriError as exc:
            log.warning("could not close run %s: %s (recovery will)", run_id, exc)


def _step_event(step: StepRecord) -> dict[str, Any]:
    return {"event": "step", "seq": step.seq, "step": step.step.value, "at": step.at.isoformat()}


def _log_event(line: tuple[datetime, str, str]) -> dict[str, Any]:
    at, level, message = line
    return {"event": "log", "at": at.isoformat(), "level": level, "message": message}


def _finished_event(run: RunRecord) -> dict[str, Any]:
    return {
        "event": "finished",
        "status": run.status.value,
        "reason": run.reason,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "downtime_ms": run.downtime_ms,
        "new_digest": run.new_digest,
    }
