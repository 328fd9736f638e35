"""A scheduled run outside its maintenance window changes nothing and runs again at the
window's next opening: the service's runner on the real daemon, SQLite, a clock the test
holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from colibri.domain.environments import Environment
from colibri.domain.gate import GateRequest, GateVerdict
from colibri.domain.gate_policy import GateOverrides
from colibri.domain.journal import RunStatus
from colibri.domain.ports import Gate
from colibri.domain.settings import AutoUpdateConfig, NewAutoUpdate
from colibri.engine import DockerEngine, connect
from colibri.registry.client import RegistryClient
from colibri.services.controls import ControlDefaults, ControlsFactory, ControlStoreSet
from colibri.services.metrics import MetricsService
from colibri.services.runner import RunnerStores, SettingRunner, UpdateTools
from colibri.store import Store, make_store
from tests.fakes import FakeClock
from tests.support.docker_env import DockerTracker
from tests.support.scenario import Publisher

pytestmark = pytest.mark.docker


class Allow:
    def evaluate(self, request: GateRequest) -> GateVerdict:
        return GateVerdict(True)


class AllowAll:
    def gate_for(self, overrides: GateOverrides) -> Gate:
        return Allow()


class OneEngine:
    def __init__(self, engine: DockerEngine) -> None:
        self.engine = engine

    def engine_for(self, environment: Environment) -> DockerEngine:
        return self.engine


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with make_store(f"sqlite:///{tmp_path / 'colibri.db'}") as opened:
        yield opened


def test_a_scheduled_run_outside_its_window_waits_for_the_opening(
    publisher: Publisher, docker_tracker: DockerTracker, store: Store, session_prefix: str
) -> None:
    v1, _ = publisher.upstream_moved(f"{session_prefix}/sched-window")
    container = docker_tracker.run(v1.ref, "sched", labels={"colibri.enable": "true"})
    clock = FakeClock(datetime(2031, 1, 1, 12, tzinfo=UTC))  # a Wednesday, noon
    engine, client = connect(), RegistryClient(trust_env=False)
    try:
        controls = ControlsFactory(
            client,
            clock,
            ControlStoreSet(store.skips, store.seen_images, store.environments, store.auto_updates),
            ControlDefaults(),
        )
        runner = SettingRunner(
            RunnerStores(
                store.environments, store.auto_updates, store.journal, store.container_statuses
            ),
            UpdateTools(OneEngine(engine), client, AllowAll(), controls=controls),
            None,
            MetricsService(CollectorRegistry()),
            clock,
        )
        local = store.environments.find("local")
        assert local is not None
        config = AutoUpdateConfig(window="Sat 02:00-05:00")
        slot = datetime(2031, 1, 8, 3, tzinfo=UTC)  # the cron's next slot, a week on
        setting = store.auto_updates.create(NewAutoUpdate(local.id, container.name, config, slot))
        outcome = runner.run(setting, trigger="schedule")
    finally:
        engine.close()
        client.close()
    assert outcome.status is RunStatus.SKIPPED
    assert outcome.reason.startswith("outside the window Sat 02:00-05:00; next opening ")
    assert docker_tracker.client.containers.get(container.name).id == container.id
    stored = store.auto_updates.get(setting.id)
    assert stored is not None
    assert stored.next_run_at == datetime(2031, 1, 4, 2, tzinfo=UTC)  # Saturday 02:00
