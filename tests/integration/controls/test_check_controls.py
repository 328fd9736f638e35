"""The controls on a real check: real dockerd, real registry, SQLite store, a clock the test
moves. Minimum age defers then allows, skips and snoozes hold a candidate back until a newer
one appears, and what changed links to the GitHub compare view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from colibri.domain.environments import Environment, NewEnvironment
from colibri.domain.model import CheckResult, CheckStatus
from colibri.domain.skips import NewSkip
from colibri.engine import DockerEngine, connect
from colibri.registry.client import RegistryClient
from colibri.services.check import CheckRequest, CheckService
from colibri.services.containers import ContainerService
from colibri.services.controls import (
    ControlDefaults,
    Controls,
    ControlsFactory,
    ControlStores,
    ControlStoreSet,
)
from colibri.services.metrics import MetricsService
from colibri.store import Store, make_store
from tests.fakes import FakeClock
from tests.support.docker_env import DockerTracker
from tests.support.registry import RegistryServer, image_config, sha256_digest, tiny_layer
from tests.support.scenario import Publisher

pytestmark = pytest.mark.docker

SOURCE = "https://github.com/acme/web"


def oci(version: str, revision: str) -> list[str]:
    return [
        f"LABEL org.opencontainers.image.version={version}",
        f"LABEL org.opencontainers.image.revision={revision}",
        f"LABEL org.opencontainers.image.source={SOURCE}",
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with make_store(f"sqlite:///{tmp_path / 'colibri.db'}") as opened:
        yield opened


@pytest.fixture
def engine() -> Iterator[DockerEngine]:
    opened = connect()
    yield opened
    opened.close()


@pytest.fixture
def client() -> Iterator[RegistryClient]:
    client = RegistryClient(trust_env=False)
    yield client
    client.close()


class Checker:
    def __init__(
        self, engine: DockerEngine, registry: RegistryClient, store: Store, clock: FakeClock
    ) -> None:
        controls = Controls(
            engine,
            registry,
            clock,
            lambda: ControlStores(store.skips, store.seen_images),
            environment="local",
            defaults=ControlDefaults(min_age="3d"),
        )
        self.service = CheckService(engine, registry, controls=controls)

    def one(self, name: str) -> CheckResult:
        [result] = self.service.check(CheckRequest(names=(name,))).results
        return result


def test_min_age_skip_and_what_changed_on_a_real_check(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    engine: DockerEngine,
    client: RegistryClient,
    store: Store,
    session_prefix: str,
) -> None:
    repo = f"{session_prefix}/controls-web"
    v1, _ = publisher.upstream_moved(repo, changes=oci("1.1.0", "bbbbbbb2"))
    container = docker_tracker.run(v1.ref, "web", labels={"colibri.enable": "true"})
    clock = FakeClock(datetime.now(UTC))
    checker = Checker(engine, client, store, clock)

    young = checker.one(container.name)
    assert young.status is CheckStatus.UPDATE_AVAILABLE
    assert young.notes is not None and young.notes.eligible_at is not None
    assert young.notes.eligible_at > clock.now() + timedelta(days=2, hours=23)
    assert "eligible at" in young.reason
    changes = young.notes.changes
    assert changes is not None
    assert changes.new_version == "1.1.0"
    assert changes.release_url == f"{SOURCE}/releases/tag/1.1.0"
    assert changes.kind is not None and changes.kind.value == "digest"
    assert changes.age is not None and changes.age < timedelta(hours=1)
    seen = store.seen_images.get(young.remote_digest or "")
    assert seen is not None and seen.labels["org.opencontainers.image.revision"] == "bbbbbbb2"

    clock.sleep(timedelta(days=3, minutes=5).total_seconds())
    old_enough = checker.one(container.name)
    assert old_enough.status is CheckStatus.UPDATE_AVAILABLE
    assert old_enough.notes is not None and old_enough.notes.eligible_at is None
    assert old_enough.as_dict()["update_kind"] == "digest"

    until = clock.now() + timedelta(days=7)
    store.skips.add(NewSkip("local", container.name, "1.1.0", until, "breaks the login page"))
    skipped = checker.one(container.name)
    assert skipped.status is CheckStatus.SKIPPED
    assert skipped.reason.startswith("version 1.1.0 skipped until ")
    assert skipped.reason.endswith(": breaks the login page")
    assert skipped.as_dict()["skipped_until"] == until.isoformat()

    publisher.publish(repo, "1", changes=oci("1.2.0", "ccccccc3"))
    clock.sleep(timedelta(days=4).total_seconds())
    newer = checker.one(container.name)
    assert newer.status is CheckStatus.UPDATE_AVAILABLE  # a newer version is offered again
    assert newer.notes is not None and newer.notes.changes is not None
    assert newer.notes.changes.new_version == "1.2.0"
    assert newer.notes.eligible_at is None  # built a week ago by the test's clock


def test_an_epoch_created_time_counts_from_first_seen(
    publisher: Publisher,
    registry: RegistryServer,
    docker_tracker: DockerTracker,
    engine: DockerEngine,
    client: RegistryClient,
    store: Store,
    session_prefix: str,
) -> None:
    repo = f"{session_prefix}/controls-epoch"
    v1 = publisher.publish(repo, "1")
    publisher.pull(v1)
    container = docker_tracker.run(v1.ref, "epoch", labels={"colibri.enable": "true"})
    layer = tiny_layer("epoch")
    document = image_config([sha256_digest(layer)])
    document["created"] = "1970-01-01T00:00:00Z"  # a reproducible build
    registry.push_image(repo, "1", config_bytes=json.dumps(document).encode(), layers=[layer])
    clock = FakeClock(datetime(2031, 5, 1, tzinfo=UTC))
    checker = Checker(engine, client, store, clock)
    first = checker.one(container.name)
    assert first.notes is not None
    assert first.notes.eligible_at == datetime(2031, 5, 4, tzinfo=UTC)
    assert "since first seen" in first.reason
    clock.sleep(86400)
    later = checker.one(container.name)  # the first sighting is kept, not renewed
    assert later.notes is not None and later.notes.eligible_at == first.notes.eligible_at
    clock.sleep(2 * 86400)
    assert checker.one(container.name).notes.eligible_at is None  # type: ignore[union-attr]


def test_compare_link_between_two_labelled_images(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    engine: DockerEngine,
    client: RegistryClient,
    store: Store,
    session_prefix: str,
) -> None:
    repo = f"{session_prefix}/controls-cmp"
    v1 = publisher.publish(repo, "1.0.0", changes=oci("1.0.0", "aaaaaaa1"))
    publisher.pull(v1)
    publisher.publish(repo, "1.1.0", changes=oci("1.1.0", "bbbbbbb2"))
    labels = {"colibri.enable": "true", "colibri.policy": "minor", "colibri.min-age": "0"}
    container = docker_tracker.run(v1.ref, "cmp", labels=labels)
    result = Checker(engine, client, store, FakeClock(datetime.now(UTC))).one(container.name)
    assert result.status is CheckStatus.UPDATE_AVAILABLE
    assert result.target_tag == "1.1.0"
    notes = result.as_dict()
    assert notes["update_kind"] == "minor"
    assert notes["eligible_at"] is None  # the label says no minimum age
    changes = notes["changes"]
    assert isinstance(changes, dict)
    assert changes["old_version"] == "1.0.0"
    assert changes["compare_url"] == f"{SOURCE}/compare/aaaaaaa1...bbbbbbb2"


def test_snooze_and_a_bad_window_label(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    engine: DockerEngine,
    client: RegistryClient,
    store: Store,
    session_prefix: str,
) -> None:
    v1, _ = publisher.upstream_moved(f"{session_prefix}/controls-snooze")
    snoozed = docker_tracker.run(v1.ref, "snoozed", labels={"colibri.enable": "true"})
    bad = docker_tracker.run(
        v1.ref, "badwindow", labels={"colibri.enable": "true", "colibri.window": "Sam 1-2"}
    )
    clock = FakeClock(datetime.now(UTC))
    store.skips.add(NewSkip("local", snoozed.name, None, clock.now() + timedelta(hours=2)))
    checker = Checker(engine, client, store, clock)
    result = checker.one(snoozed.name)
    assert result.status is CheckStatus.SKIPPED
    assert result.reason.startswith("updates snoozed until ")
    clock.sleep(3 * 3600)
    assert checker.one(snoozed.name).status is CheckStatus.UPDATE_AVAILABLE
    broken = checker.one(bad.name)
    assert broken.status is CheckStatus.ERROR
    assert "label colibri.window" in broken.reason


class OneEngine:
    def __init__(self, engine: DockerEngine) -> None:
        self.engine = engine

    def engine_for(self, environment: Environment) -> DockerEngine:
        return self.engine


def test_the_service_check_keeps_what_the_controls_said(
    publisher: Publisher,
    docker_tracker: DockerTracker,
    engine: DockerEngine,
    client: RegistryClient,
    store: Store,
    session_prefix: str,
) -> None:
    v1, _ = publisher.upstream_moved(f"{session_prefix}/controls-svc", changes=oci("2.0", "b2"))
    local = store.environments.find("local")
    assert local is not None
    store.environments.update(
        local.id, NewEnvironment("local", local.endpoint, {"colibri.window": "Sun 01:00-02:00"})
    )
    container = docker_tracker.run(v1.ref, "svc", labels={"colibri.enable": "true"})
    clock = FakeClock(datetime(2031, 1, 1, 12, tzinfo=UTC))  # a Wednesday
    factory = ControlsFactory(
        client,
        clock,
        ControlStoreSet(store.skips, store.seen_images, store.environments, store.auto_updates),
        ControlDefaults(min_age="1d"),
    )
    service = ContainerService(
        store.environments,
        store.container_statuses,
        OneEngine(engine),
        client,
        None,
        MetricsService(CollectorRegistry()),
        clock,
        controls=factory,
    )
    service.check_now(local.id)
    [status] = [s for s in service.list_statuses(local.id) if s.container_name == container.name]
    assert status.status is CheckStatus.UPDATE_AVAILABLE
    assert status.controls["window"] == "Sun 01:00-02:00"
    assert status.controls["window_open"] is False
    assert status.controls["next_window_opening"] == "2031-01-05T01:00:00+00:00"
    assert status.controls["update_kind"] == "digest"
