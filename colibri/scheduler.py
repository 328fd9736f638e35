"""The scheduler of ``colibri serve``: runs each auto-update setting when its cron says so.

A plain loop in one thread, after healthchecks' ``sendalerts``. Every ``tick`` seconds:

1. if a worker is free, one indexed query asks the store for the settings due now
   (``AutoUpdates.due``: enabled, ``next_run_at`` passed, oldest first), at most as many as
   there are workers; with none free it does not even ask;
2. each one is **claimed**: its ``next_run_at`` is moved from the value just read to the
   first slot of its cron after now, by one conditional ``UPDATE`` that only one process can
   win (``AutoUpdates.claim``). A lost claim means another ``colibri serve`` on the same
   database has the slot: skip it. Since the new slot is computed from now, the slots missed
   while no scheduler ran collapse into this one run;
3. a claimed setting goes to a bounded pool of workers (a ``BoundedSemaphore`` in front of a
   ``ThreadPoolExecutor``), which runs it through the runner (check, update, notify, record).
   A run that fails, or a runner that raises, pushes the next run back
   (:func:`~colibri.services.run_times.failure_backoff`; the store counts consecutive
   failures): a broken setting cannot loop.

A tick that fails (the database is away) is logged and the loop waits longer before the next
one, up to a minute. Settings claimed but not run because the process died lose that slot;
an update that was running is finished or undone by recovery at the next start.

:meth:`Scheduler.stop` (on SIGTERM/SIGINT) stops claiming at once and waits up to a grace
period for the running updates; what still runs after it is left to the journal and
recovery. Optionally the loop also calls a periodic job (the check of every container that
keeps ``GET /api/containers`` fresh) every ``check_interval`` seconds, starting at once.

Label-driven schedules go the same way: the slots of opted-in containers without a setting
(``colibri.schedule`` or ``COLIBRI_SCHEDULE``, kept by ``colibri.services.service_plans``) are
listed after the settings, claimed with the same conditional ``UPDATE``
(``LabelSlots.claim``), and run through the runner's :meth:`Runner.run_slot`. A ``sync`` job
(the plans of every container, from their labels) runs at start and every ``sync_interval``
seconds, like the periodic check.

Times come from the injected ``Clock``; the wait between ticks is a ``threading.Event`` so
that stopping never waits for a tick to end.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from colibri.domain.journal import RunStatus
from colibri.domain.ports import AutoUpdates, Clock
from colibri.domain.service_plan import LabelSlot
from colibri.domain.settings import AutoUpdateSetting, Schedule, ScheduleType
from colibri.errors import ColibriError
from colibri.services.ports import LabelSlots
from colibri.services.run_times import failure_backoff, next_run

__all__ = ["TRIGGER", "Runner", "Scheduler", "SchedulerOptions"]

log = logging.getLogger(__name__)

TRIGGER = "schedule"
_MAX_ERROR_WAIT = 60.0


class Runner(Protocol):
    """Runs one setting now (``colibri.services.runner.SettingRunner``)."""

    def run(self, setting: AutoUpdateSetting, *, trigger: str, run_id: str | None = None) -> Any:
        """Check and update the setting's container; failures are outcomes, not errors."""
        ...

    def run_slot(self, slot: LabelSlot, *, trigger: str) -> Any:
        """Check and update (or, monitor-only, check and tell) a label-driven container."""
        ...


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    """``workers`` updates at once; a pass every ``tick`` seconds; ``grace`` seconds for
    running updates at stop; the periodic job every ``check_interval`` seconds (0: never)."""

    workers: int = 4
    tick: float = 1.0
    grace: float = 30.0
    check_interval: float = 0.0
    sync_interval: float = 30.0

    def __post_init__(self) -> None:
        if self.workers < 1 or self.tick <= 0 or self.grace < 0 or self.check_interval < 0:
            raise ValueError("workers >= 1, tick > 0, grace >= 0 and check_interval >= 0")
        if self.sync_interval <= 0:
            raise ValueError("sync_interval > 0")


class Scheduler:
    """Claims due settings and runs them in a bounded pool (see the module docstring)."""

    def __init__(
        self,
        auto_updates: AutoUpdates,
        runner: Runner,
        clock: Clock,
        options: SchedulerOptions | None = None,
        *,
        periodic: Callable[[], object] | None = None,
        slots: LabelSlots | None = None,
        sync: Callable[[], object] | None = None,
    ) -> None:
        self.auto_updates = auto_updates
        self.slots = slots
        self.sync = sync
        self._sync_due = 0.0
        self._sync_busy = False
        self.runner = runner
        self.clock = clock
        self.options = options or SchedulerOptions()
        self.periodic = periodic
        self._slots = threading.BoundedSemaphore(self.options.workers)
        self._pool = ThreadPoolExecutor(self.options.workers + 2, "colibri-scheduler")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: set[Future[None]] = set()
        self._thread: threading.Thread | None = None
        self._periodic_due = 0.0
        self._periodic_busy = False

    @property
    def alive(self) -> bool:
        """Whether the loop's thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def running(self) -> int:
        """Setting runs in progress."""
        with self._lock:
            return len(self._running)

    def start(self) -> None:
        """Run the loop in a thread of its own."""
        if self._thread is not None or self._stopping.is_set():
            raise RuntimeError("the scheduler runs already, or was stopped")
        self._periodic_due = self._sync_due = self.clock.monotonic()
        self._thread = threading.Thread(target=self._loop, name="colibri-scheduler")
        self._thread.start()
        log.info(
            "scheduler started: %d worker(s), a pass every %ss",
            self.options.workers,
            self.options.tick,
        )

    def tick(self) -> int:
        """One pass: claim what is due and hand it to the workers; how many started."""
        if self._stopping.is_set() or not self._slots.acquire(blocking=False):
            return 0
        holding, started = True, 0
        try:
            now = self.clock.now()
            for setting in self.auto_updates.due(now, self.options.workers):
                if self._stopping.is_set():
                    break
                if not holding and not self._slots.acquire(blocking=False):
                    break
                holding = True
                if self._claim(setting):
                    self._submit(self._work, setting)
                    holding, started = False, started + 1
            for slot in self._due_slots(now):
                if self._stopping.is_set():
                    break
                if not holding and not self._slots.acquire(blocking=False):
                    break
                holding = True
                if self._claim_slot(slot):
                    self._submit(self._work_slot, slot)
                    holding, started = False, started + 1
        finally:
            if holding:
                self._slots.release()
        return started

    def request_stop(self) -> None:
        """Claim nothing more from now on (what runs goes on); :meth:`stop` then waits."""
        self._stopping.set()

    def stop(self, grace: float | None = None) -> bool:
        """Stop claiming, then wait up to ``grace`` seconds (default: the options') for
        the running updates. ``True`` when none is left running."""
        self._stopping.set()
        deadline = self.clock.monotonic() + (self.options.grace if grace is None else grace)
        if self._thread is not None:
            self._thread.join(max(deadline - self.clock.monotonic(), 0.0))
        with self._lock:
            running = set(self._running)
        _, pending = wait(running, timeout=max(deadline - self.clock.monotonic(), 0.0))
        self._pool.shutdown(wait=False, cancel_futures=True)
        if pending:
            log.warning("scheduler stopped; %d update(s) left to recovery", len(pending))
        elif running or self._thread is not None:
            log.info("scheduler stopped; nothing left running")
        self._thread = None
        return not pending

    def _loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self.tick()
                failures = 0
            except Exception:  # the loop must outlive a database outage or a bug
                failures += 1
                log.exception("scheduler pass failed (%d in a row)", failures)
            self._maybe_periodic()
            self._maybe_sync()
            pause = min(self.options.tick * 2 ** min(failures, 6), _MAX_ERROR_WAIT)
            self._stopping.wait(pause if failures else self.options.tick)

    def _claim(self, setting: AutoUpdateSetting) -> bool:
        """Move the setting's next run past now; ``True`` if this process won the slot."""
        expected = setting.next_run_at
        if expected is None:
            return False
        following = next_run(setting.config.schedule, self.clock.now())
        if following is None:
            log.warning("setting %s: its cron has no further date", setting.id)
        claimed = self.auto_updates.claim(setting.id, expected, following)
        if not claimed:
            log.debug("setting %s: slot %s taken by another process", setting.id, expected)
        return claimed

    def _due_slots(self, now: datetime) -> list[LabelSlot]:
        if self.slots is None:
            return []
        return self.slots.due(now, self.options.workers)

    def _claim_slot(self, slot: LabelSlot) -> bool:
        """Move a label slot past now; ``True`` if this process won it."""
        expected = slot.next_run_at
        if expected is None or self.slots is None:
            return False
        schedule = Schedule(ScheduleType.CUSTOM, slot.plan.cron, slot.plan.timezone)
        following = next_run(schedule, self.clock.now())
        claimed = self.slots.claim(slot.environment_id, slot.container_name, expected, following)
        if not claimed:
            log.debug("%s: slot %s taken by another process", slot.container_name, expected)
        return claimed

    def _work_slot(self, slot: LabelSlot) -> None:
        try:
            self.runner.run_slot(slot, trigger=TRIGGER)
        except Exception:  # the runner should not raise
            log.exception("run of %s failed unexpectedly", slot.container_name)
        finally:
            self._slots.release()

    def _submit(self, work: Callable[[Any], None], item: object) -> None:
        try:
            future = self._pool.submit(work, item)
        except RuntimeError:  # the pool was shut down meanwhile
            self._slots.release()
            raise
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)

    def _work(self, setting: AutoUpdateSetting) -> None:
        try:
            self.runner.run(setting, trigger=TRIGGER)
        except Exception:  # the runner should not raise; if it does, back off
            log.exception("run of setting %s failed unexpectedly", setting.id)
            self._push_back(setting)
        finally:
            self._slots.release()

    def _push_back(self, setting: AutoUpdateSetting) -> None:
        later = self.clock.now() + failure_backoff(setting.consecutive_failures + 1)
        try:
            self.auto_updates.record_result(setting.id, RunStatus.FAILED, next_run_at=later)
        except ColibriError as exc:
            log.error("could not push setting %s back: %s", setting.id, exc)

    def _maybe_periodic(self) -> None:
        interval = self.options.check_interval
        if self.periodic is None or interval <= 0 or self._periodic_busy:
            return
        if self.clock.monotonic() < self._periodic_due:
            return
        self._periodic_due = self.clock.monotonic() + interval
        self._periodic_busy = True
        self._pool.submit(self._run_periodic)

    def _maybe_sync(self) -> None:
        if self.sync is None or self._sync_busy or self.clock.monotonic() < self._sync_due:
            return
        self._sync_due = self.clock.monotonic() + self.options.sync_interval
        self._sync_busy = True
        self._pool.submit(self._run_sync)

    def _run_sync(self) -> None:
        try:
            assert self.sync is not None
            self.sync()
        except Exception:  # the next sync tries again
            log.exception("syncing the containers' plans failed")
        finally:
            self._sync_busy = False

    def _run_periodic(self) -> None:
        try:
            assert self.periodic is not None
            self.periodic()
        except Exception:  # a failed check is reported by the next one
            log.exception("periodic check failed")
        finally:
            self._periodic_busy = False
