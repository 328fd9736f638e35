"""Update runs: "run now", history, and live progress (``/api/runs``, ``POST
/api/auto-updates/{id}/run``).

:meth:`RunService.start_now` answers at once: it writes the run row (trigger ``api``) and
hands the setting to the :class:`~colibri.services.runner.SettingRunner` in a bounded pool of
worker threads, so the caller gets an id to follow before the check has even started. A run
of a container that is already being updated (by the scheduler, another request, or another
process) ends ``skipped``.

:meth:`RunService.follow` gives a run's progress for server-sent events: it polls the
numbered events the journal writes with each row (:mod:`colibri.domain.activity`) and yields
``started``, each ``step`` and ``log`` line as it is written, then ``finished`` with the
outcome, and ends. Every event carries its ``id``: a client that reconnects names the last
one it saw and gets exactly what it missed. :meth:`RunService.follow_all` is the same feed for
every run, endless, for dashboards. Both only read, so any number of clients may follow.
:meth:`RunService.watch` and :meth:`RunService.watch_all` are the same feeds with a
:class:`Pause` where they would wait, for the API to wait on its event loop instead of in a
thread.

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
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from colibri.domain.activity import ActivityKind
from colibri.domain.environments import Environment
from colibri.domain.journal import NewRun, RunRecord, RunStatus
from colibri.domain.ports import AutoUpdates, Clock, Environments, Journal
from colibri.errors import ColibriError, StoreError
from colibri.services.paging import check_page
from colibri.services.ports import Activity
from colibri.services.runner import SettingRunner

__all__ = ["Pause", "RunService"]

log = logging.getLogger(__name__)

TRIGGER = "api"
_UNKNOWN_RUN = "unknown run id"  # what SqlJournal.get_run says of an id it does not have
_MAX_RUN_ID = 64
_PENDING_LOOKBACK = 20  # newest runs of a container searched for the pending one


Event = dict[str, Any]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Pause:
    """Where a follower waits ``seconds`` before it looks again."""

    seconds: float


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
        activity: Activity,
        workers: int = 4,
    ) -> None:
        self.journal = journal
        self.activity = activity
        self.runner = runner
        self.auto_updates = auto_updates
        self.environments = environments
        self.clock = clock
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="colibri-run")
        self._lock = threading.Lock()
        self._running: dict[Future[Any], tuple[str, ...]] = {}
        self._closed = False

    def start_now(self, setting_id: int) -> str | None:
        """Run setting ``setting_id`` now, in the background; its run id at once, ``None``
        for an unknown setting. A disabled setting runs too (``enabled`` is about its
        schedule). At most one run per setting waits or runs at a time: while one this
        service started is still ``running`` in the journal, asking again answers with its
        id and queues nothing. ``StoreError`` when the run cannot be recorded, and after
        :meth:`drain` (the service is stopping)."""
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
            pending = self._pending(environment.name, setting.container_name)
            if pending is not None:
                log.info("run of %s asked again: %s is pending", setting.container_name, pending)
                return pending
            run = self.journal.start_run(new)
            future = self._pool.submit(self.runner.run, setting, trigger=TRIGGER, run_id=run.id)
            self._running[future] = (run.id,)
        future.add_done_callback(self._done)
        log.info("run %s of %s started on request", run.id, setting.container_name)
        return run.id

    def _pending(self, environment: str, container: str) -> str | None:
        """The run of ``container`` this service queued or runs that the journal still has
        ``running`` (the lock is held by the caller). Runs of other processes are not ours
        to answer for: theirs may be left over from a crash, to their recovery."""
        mine = {run_id for run_ids in self._running.values() for run_id in run_ids}
        if not mine:
            return None
        recent = self.journal.list_runs(
            container_name=container, environment=environment, limit=_PENDING_LOOKBACK
        )
        return next(
            (run.id for run in recent if run.status is RunStatus.RUNNING and run.id in mine),
            None,
        )

    def start_batch(
        self, environment: Environment, names: Sequence[str], *, dry_run: bool = False
    ) -> dict[str, str]:
        """Update ``names`` of ``environment`` now as one batch through the pipeline, in the
        background: each container's run id at once (a run row each, trigger ``api``; follow
        them on their event streams). ``StoreError`` after :meth:`drain`."""
        unique = list(dict.fromkeys(name.removeprefix("/") for name in names))
        with self._lock:
            if self._closed:
                raise StoreError("colibri is shutting down: no new runs")
            run_ids = {
                name: self.journal.start_run(
                    NewRun(
                        environment.name,
                        name,
                        "",
                        "",
                        trigger=TRIGGER,
                        dry_run=dry_run,
                        run_id=secrets.token_hex(16),
                    )
                ).id
                for name in unique
            }
            future = self._pool.submit(
                self.runner.run_batch, environment, run_ids, trigger=TRIGGER, dry_run=dry_run
            )
            self._running[future] = tuple(run_ids.values())
        future.add_done_callback(self._done)
        log.info("batch of %d container(s) on %s started on request", len(unique), environment.name)
        return run_ids

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

    def follow(self, run_id: str, after: int = 0, poll: float = 0.5) -> Iterator[dict[str, Any]]:
        """Progress events of a run after event id ``after`` until it finishes (nothing for
        an unknown id). Each has ``id``, ``event``, ``run_id``, ``environment``,
        ``container``, ``at`` and its own fields: ``started`` (``trigger``, ``dry_run``,
        ``image``), ``step`` (``seq``, ``step``), ``log`` (``level``, ``message``), then
        ``finished`` (``status``, ``reason``, ``finished_at``, ``downtime_ms``,
        ``new_digest``). Polls every ``poll`` seconds; a finished run yields what is left of
        its story at once (a run older than the event feed: its outcome alone, without id)."""
        yield from self._paced(self.watch(run_id, after, poll))

    def watch(self, run_id: str, after: int = 0, poll: float = 0.5) -> Iterator[Event | Pause]:
        """:meth:`follow`'s events, with a :class:`Pause` where it would wait: each step of
        the iterator is one short read, so an asynchronous caller can wait between them
        without holding a thread."""
        if self.get_run(run_id) is None:
            return
        while True:
            run = self.get_run(run_id)  # read before the events: its end is written with them
            events = self.activity.after(after, run_id=run_id)
            for event in events:
                yield event.as_message()
                after = event.id
                if event.kind is ActivityKind.FINISHED:
                    return
            if events:
                continue
            if run is None:
                return
            if run.status is not RunStatus.RUNNING:
                yield _finished_event(run)
                return
            yield Pause(poll)

    def follow_all(
        self, after: int | None = None, poll: float = 1.0, heartbeat: float = 15.0
    ) -> Iterator[dict[str, Any] | None]:
        """Every run's events after id ``after`` (``None``: from now on), as :meth:`follow`
        gives them, without end; ``None`` after ``heartbeat`` seconds without any, so that a
        stream can show it is alive. Stops when the service drains."""
        return self._paced(self.watch_all(after, poll, heartbeat))

    def watch_all(
        self, after: int | None = None, poll: float = 1.0, heartbeat: float = 15.0
    ) -> Iterator[Event | Pause | None]:
        """:meth:`follow_all`'s events, with a :class:`Pause` where it would wait (see
        :meth:`watch`). "Now" is when it is called, not when it is first read."""
        last = self.activity.last_id() if after is None else after
        return self._feed(last, poll, heartbeat)

    def _feed(self, last: int, poll: float, heartbeat: float) -> Iterator[Event | Pause | None]:
        quiet = 0.0
        while not self._closed:
            events = self.activity.after(last)
            for event in events:
                yield event.as_message()
                last = event.id
            if events:
                quiet = 0.0
                continue
            if quiet >= heartbeat:
                yield None
                quiet = 0.0
            yield Pause(poll)
            quiet += poll

    def _paced(self, items: Iterator[_T | Pause]) -> Iterator[_T]:
        for item in items:
            if isinstance(item, Pause):
                self.clock.sleep(item.seconds)
            else:
                yield item

    def wait(self, run_id: str, timeout: float = 3600.0, poll: float = 0.5) -> RunRecord | None:
        """The run once it has finished, with its steps and log lines (``None`` for an unknown
        id); still ``running`` when ``timeout`` seconds were not enough."""
        deadline = self.clock.monotonic() + timeout
        while True:
            run = self.get_run(run_id)
            if run is None or run.status is not RunStatus.RUNNING:
                return run
            if self.clock.monotonic() >= deadline:
                return run
            self.clock.sleep(poll)

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
            run_ids = self._running.pop(future, ())
        if future.cancelled():
            for run_id in run_ids:
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


def _finished_event(run: RunRecord) -> dict[str, Any]:
    """The outcome of a run the event feed has no end for (it predates the feed)."""
    return {
        "event": "finished",
        "run_id": run.id,
        "environment": run.environment,
        "container": run.container_name,
        "status": run.status.value,
        "reason": run.reason,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "downtime_ms": run.downtime_ms,
        "new_digest": run.new_digest,
    }
