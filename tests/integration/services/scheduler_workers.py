"""Schedulers run in separate OS processes by the scheduler tests (see
``tests/integration/store/workers.py`` for the harness: spawned, released by a barrier)."""

from __future__ import annotations

import threading
import time
from typing import Any

from colibri.domain.settings import AutoUpdateSetting
from colibri.registry.clock import SystemClock
from colibri.scheduler import Scheduler, SchedulerOptions
from colibri.store import make_store
from tests.integration.store.workers import TIMEOUT


class Recorder:
    """A runner that only records which slot of which setting it was given."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: list[tuple[int, str]] = []

    def run(self, setting: AutoUpdateSetting, *, trigger: str, run_id: str | None = None) -> Any:
        slot = setting.next_run_at.isoformat() if setting.next_run_at else ""
        with self.lock:
            self.slots.append((setting.id, slot))
        time.sleep(0.02)  # an update takes a while: the other process gets its turn
        return None


def schedule_until_nothing_is_due(barrier: Any, url: str) -> list[tuple[int, str]]:
    """Tick a scheduler of this process until no setting is due; the slots it ran."""
    with make_store(url, migrate=False) as store:
        recorder = Recorder()
        clock = SystemClock()
        scheduler = Scheduler(store.auto_updates, recorder, clock, SchedulerOptions(workers=2))
        barrier.wait(TIMEOUT)
        deadline = time.monotonic() + TIMEOUT / 2
        while store.auto_updates.due(clock.now(), 1) and time.monotonic() < deadline:
            scheduler.tick()
            time.sleep(0.005)
        assert scheduler.stop(grace=TIMEOUT / 2)
        return recorder.slots
