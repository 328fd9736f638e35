"""The lock heartbeat beats while its block runs, survives a failed beat, and stops after."""

from __future__ import annotations

import threading
import time

from colibri.domain.holders import HEARTBEAT_SECONDS
from colibri.domain.journal import LOCK_TTL_SECONDS
from colibri.errors import StoreError
from colibri.update.heartbeat import Heartbeat


def test_it_beats_until_the_block_ends_and_a_failed_beat_does_not_stop_it() -> None:
    beats: list[float] = []
    three = threading.Event()

    def refresh() -> None:
        beats.append(time.monotonic())
        if len(beats) == 1:
            raise StoreError("database is locked")
        if len(beats) >= 3:
            three.set()

    with Heartbeat(refresh, 0.01):
        assert three.wait(5)
    stopped = len(beats)
    time.sleep(0.05)
    assert len(beats) == stopped


def test_a_live_holder_beats_well_within_its_lease() -> None:
    assert HEARTBEAT_SECONDS * 4 <= LOCK_TTL_SECONDS
