"""Maintenance windows on the real daemon: ``colibri update`` outside the window changes
nothing and says when it opens; one that would not finish before the window closes is not
started; inside an open window the update runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.docker_env import DockerTracker
from tests.support.scenario import ColibriCli, Publisher

pytestmark = pytest.mark.docker


def hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def test_closed_window_defers_open_window_updates(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    v1, v2 = publisher.upstream_moved(f"{session_prefix}/window")
    container = docker_tracker.run(v1.ref, "win", labels={"colibri.enable": "true"})
    now = datetime.now(UTC)
    closed = f"* {hhmm(now + timedelta(hours=2))}-{hhmm(now + timedelta(hours=3))}"

    [checked] = colibri.json("check", container.name, expect=(3,), COLIBRI_WINDOW=closed)
    assert checked["window"] == closed
    assert checked["window_open"] is False
    assert checked["next_window_opening"] is not None

    [deferred] = colibri.json("update", container.name, COLIBRI_WINDOW=closed)
    assert deferred["status"] == "skipped"
    assert deferred["reason"].startswith(f"outside the window {closed}; next opening ")
    assert docker_tracker.client.containers.get(container.name).id == container.id

    closing = f"* {hhmm(now - timedelta(minutes=30))}-{hhmm(now + timedelta(minutes=3))}"
    [short] = colibri.json(
        "update", container.name, COLIBRI_WINDOW=closing, COLIBRI_HEALTH_TIMEOUT="600"
    )
    assert short["status"] == "skipped"
    assert "would not finish before the window" in short["reason"]
    assert docker_tracker.client.containers.get(container.name).id == container.id

    [done] = colibri.json("update", container.name, COLIBRI_WINDOW="* 00:00-24:00")
    assert done["status"] == "updated", done
    assert done["new_digest"] == v2.digest
