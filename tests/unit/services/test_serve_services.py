"""The use cases of ``colibri serve`` around the runner, over fakes: environments, tokens,
notification targets, runs and their events, containers, metrics, health."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import LOCAL_ENDPOINT, Endpoint, NewEnvironment
from colibri.domain.invalid import Invalid
from colibri.domain.journal import NewRun, RunStatus, Step
from colibri.domain.messages import Message
from colibri.domain.model import DOCKER_MANIFEST, CheckStatus, RemoteManifest
from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
from colibri.domain.ports import Journal
from colibri.domain.settings import NewAutoUpdate
from colibri.domain.tokens import ApiToken, IssuedToken, NewApiToken, Permission
from colibri.errors import NotifyError, StoreError
from colibri.services.containers import ContainerService
from colibri.services.environments import EnvironmentService
from colibri.services.health import HealthService
from colibri.services.metrics import MetricsService
from colibri.services.notifications import NotificationService
from colibri.services.runs import RunService
from colibri.services.targets import TargetService
from colibri.services.tokens import TokenService
from colibri.store import make_store
from tests.fakes import FakeClock, FakeEngine, FakeRegistry, digest_of, local_image
from tests.unit.services.serve_fakes import (
    T0,
    FakeAutoUpdates,
    FakeEngines,
    FakeEnvironments,
    FakeMetrics,
    FakeStatuses,
    Inbox,
)

REG = "reg.example:5000"
OLD, NEW = digest_of("old"), digest_of("new")

# -- environments ------------------------------------------------------------------------------


def test_ensure_local_follows_the_configured_endpoint_and_keeps_labels() -> None:
    clock = FakeClock(T0)
    environments = FakeEnvironments(clock)
    service = EnvironmentService(environments, clock)
    local = service.ensure_local(LOCAL_ENDPOINT)
    assert local.endpoint.url == LOCAL_ENDPOINT
    environments.update(local.id, NewEnvironment("local", local.endpoint, {"site": "a"}))
    moved = service.ensure_local("unix:///run/user/1000/docker.sock")
    assert moved.id == local.id and moved.endpoint.url.endswith("/1000/docker.sock")
    assert moved.labels == {"site": "a"}
    with pytest.raises(Invalid, match="endpoint"):
        service.ensure_local("http://nope")


def test_environments_are_listed_created_and_deleted() -> None:
    clock = FakeClock(T0)
    service = EnvironmentService(FakeEnvironments(clock), clock)
    created = service.create(NewEnvironment("edge", Endpoint("ssh://ops@edge.lan")))
    assert [e.name for e in service.list()] == ["edge", "local"]
    assert service.get(created.id) == created and service.get(99) is None
    assert service.delete(created.id) is True and service.delete(created.id) is False


# -- tokens ------------------------------------------------------------------------------------


@dataclass
class Tokens:
    """API tokens in memory, enough for the service's contract."""

    clock: FakeClock
    rows: dict[int, ApiToken] = field(default_factory=dict)
    secrets: dict[str, int] = field(default_factory=dict)
    touched: list[int] = field(default_factory=list)

    def create(self, new: NewApiToken, *, secret: str | None = None) -> IssuedToken:
        secret = secret or f"colibri_{len(self.rows) + 1:043d}"
        token = ApiToken(
            len(self.rows) + 1,
            new.name,
            secret[:16],
            new.permissions,
            self.clock.now(),
            expires_at=new.expires_at,
        )
        self.rows[token.id], self.secrets[secret] = token, token.id
        return IssuedToken(token, secret)

    def create_first(self, new: NewApiToken, *, secret: str | None = None) -> IssuedToken | None:
        return None if self.rows else self.create(new, secret=secret)

    def get(self, token_id: int) -> ApiToken | None:
        return self.rows.get(token_id)

    def find_active(self, presented: str) -> ApiToken | None:
        token = self.rows.get(self.secrets.get(presented, 0))
        return token if token is not None and token.is_active(self.clock.now()) else None

    def list_tokens(self) -> list[ApiToken]:
        return list(self.rows.values())

    def revoke(self, token_id: int) -> ApiToken | None:
        token = self.rows.get(token_id)
        if token is None:
            return None
        self.rows[token_id] = replace(token, revoked_at=self.clock.now())
        return self.rows[token_id]

    def touch(self, token_id: int) -> None:
        self.touched.append(token_id)


def test_the_first_admin_token_is_made_once_from_the_preset_when_given() -> None:
    clock = FakeClock(T0)
    service = TokenService(Tokens(clock), clock)
    preset = "p" * 40
    issued = service.ensure_admin(preset)
    assert issued is not None and issued.secret == preset
    assert issued.token.permissions == frozenset({Permission.ADMIN})
    assert service.ensure_admin(preset) is None
    assert service.ensure_admin(None) is None


def test_authenticate_records_the_use_and_refuses_revoked_and_expired_tokens() -> None:
    clock = FakeClock(T0)
    store = Tokens(clock)
    service = TokenService(store, clock)
    ci = service.create("ci", ["containers:read"], expires_at=T0 + timedelta(days=1))
    assert service.authenticate(ci.secret) == ci.token and store.touched == [ci.token.id]
    assert service.authenticate("") is None and service.authenticate("x" * 600) is None
    clock.current += timedelta(days=2)
    assert service.authenticate(ci.secret) is None
    ops = service.create("ops", ["admin"])
    assert service.revoke(ops.token.id) is not None
    assert service.authenticate(ops.secret) is None
    assert service.revoke(99) is None


@pytest.mark.parametrize(
    ("name", "permissions", "expires", "field"),
    [
        ("", ["admin"], None, "name"),
        ("x", ["root"], None, "permissions"),
        ("x", [], None, "permissions"),
        ("x", ["admin"], T0 - timedelta(seconds=1), "expires_at"),
    ],
)
def test_a_bad_token_request_is_invalid_naming_the_field(
    name: str, permissions: list[str], expires: object, field: str
) -> None:
    clock = FakeClock(T0)
    with pytest.raises(Invalid) as caught:
        TokenService(Tokens(clock), clock).create(name, permissions, expires)  # type: ignore[arg-type]
    assert caught.value.field == field


# -- notification targets ------------------------------------------------------------------------


@dataclass
class Targets:
    rows: dict[int, NotificationTarget] = field(default_factory=dict)

    def list_targets(self) -> Sequence[NotificationTarget]:
        return list(self.rows.values())

    def create(self, new: NewNotificationTarget) -> NotificationTarget:
        target = NotificationTarget(
            len(self.rows) + 1, new.name, new.url, new.events, new.enabled, T0
        )
        self.rows[target.id] = target
        return target

    def get(self, target_id: int) -> NotificationTarget | None:
        return self.rows.get(target_id)

    def update(self, target_id: int, new: NewNotificationTarget) -> NotificationTarget | None:
        return None

    def delete(self, target_id: int) -> bool:
        return self.rows.pop(target_id, None) is not None


@dataclass
class Notifier:
    sent: list[tuple[str, Message]] = field(default_factory=list)
    refuse: NotifyError | None = None

    def send(self, target_url: str, message: Message) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append((target_url, message))


def refuse_unknown(url: str) -> str:
    if url.startswith("nope://"):
        raise NotifyError("unknown notification service nope://", permanent=True)
    return url


def test_a_target_the_notifier_cannot_load_is_invalid_on_url() -> None:
    service = TargetService(Targets(), Notifier(), refuse_unknown, FakeClock(T0))
    with pytest.raises(Invalid) as caught:
        service.create(NewNotificationTarget("x", "nope://a"))
    assert caught.value.field == "url" and "nope://" in caught.value.reason
    created = service.create(NewNotificationTarget("ops", "json://hooks.lan/a"))
    assert service.list() == [created]


def test_a_test_send_reports_delivery_or_the_error() -> None:
    notifier = Notifier()
    service = TargetService(Targets(), notifier, refuse_unknown, FakeClock(T0))
    target = service.create(NewNotificationTarget("ops", "json://hooks.lan/a", enabled=False))
    report = service.test_send(target.id)
    assert report is not None and report.delivered and notifier.sent[0][0] == target.url
    notifier.refuse = NotifyError("notification to json://hooks.lan/*** failed")
    failed = service.test_send(target.id)
    assert failed is not None and not failed.delivered and "failed" in failed.error
    assert service.test_send(42) is None


# -- runs ------------------------------------------------------------------------------------------


@dataclass
class Runner:
    """Writes a small story into the journal when released."""

    journal: Journal
    release: threading.Event = field(default_factory=threading.Event)
    ran: list[str | None] = field(default_factory=list)

    def run(self, setting: object, *, trigger: str, run_id: str | None = None) -> object:
        self.ran.append(run_id)
        assert self.release.wait(10)
        assert run_id is not None
        self.journal.record_step(run_id, Step.RESOLVE, {})
        self.journal.log(run_id, "INFO", "checked")
        self.journal.record_step(run_id, Step.DONE, {})
        self.journal.finish_run(run_id, RunStatus.UP_TO_DATE, reason="up to date")
        return None


def runs_world(tmp_path: Path) -> tuple[RunService, Runner, Journal, FakeAutoUpdates]:
    """Runs on a real journal (SQLite), which writes the event feed too."""
    clock = FakeClock(T0)
    store = make_store(f"sqlite:///{tmp_path / 'colibri.db'}", clock=clock)
    settings = FakeAutoUpdates(clock)
    settings.create(NewAutoUpdate(1, "web"))
    runner = Runner(store.journal)
    service = RunService(
        store.journal,
        runner,  # type: ignore[arg-type]
        settings,
        FakeEnvironments(clock),
        clock,
        activity=store.activity,
        workers=2,
    )
    return service, runner, store.journal, settings


def test_run_now_answers_with_the_run_id_before_the_run_has_done_anything(tmp_path: Path) -> None:
    service, runner, journal, _ = runs_world(tmp_path)
    run_id = service.start_now(1)
    assert run_id is not None
    run = service.get_run(run_id)
    assert run is not None and run.status is RunStatus.RUNNING and run.trigger == "api"
    assert run.container_name == "web" and run.environment == "local"
    runner.release.set()
    assert service.drain(10) is True
    assert runner.ran == [run_id]
    assert journal.get_run(run_id).status is RunStatus.UP_TO_DATE


def test_unknown_settings_and_runs_give_none(tmp_path: Path) -> None:
    service, runner, _, _ = runs_world(tmp_path)
    assert service.start_now(99) is None
    assert service.get_run("nope") is None and service.get_run("x" * 100) is None
    assert list(service.follow("nope")) == []
    runner.release.set()
    service.drain(1)


def test_follow_yields_steps_and_logs_as_written_then_the_outcome(tmp_path: Path) -> None:
    service, runner, _, _ = runs_world(tmp_path)
    run_id = service.start_now(1)
    assert run_id is not None
    threading.Timer(0.1, runner.release.set).start()
    events = list(service.follow(run_id, poll=0.01))
    assert [e["event"] for e in events] == ["started", "step", "log", "step", "finished"]
    assert [e.get("step") or e.get("message") for e in events[1:4]] == [
        "resolve",
        "checked",
        "done",
    ]
    assert events[-1]["status"] == "up_to_date" and events[-1]["reason"] == "up to date"
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids))
    resumed = list(service.follow(run_id, after=ids[2]))
    assert resumed == events[3:]  # a reconnection misses nothing and repeats nothing
    assert service.drain(10)


def test_the_feed_of_every_run_starts_now_or_after_the_id_given(tmp_path: Path) -> None:
    service, runner, journal, _ = runs_world(tmp_path)
    earlier = journal.start_run(NewRun("local", "old", "", ""))
    feed = service.follow_all(poll=0.01, heartbeat=0.02)
    later = journal.start_run(NewRun("local", "new", "", ""))
    first = next(feed)
    assert first is not None and (first["event"], first["run_id"]) == ("started", later.id)
    assert next(feed) is None  # quiet: a heartbeat
    replay = service.follow_all(after=0, poll=0.01)
    assert [next(replay)["run_id"], next(replay)["run_id"]] == [earlier.id, later.id]  # type: ignore[index]
    runner.release.set()
    service.drain(1)
    assert list(feed) == []  # a drained service ends the feed


def test_after_drain_no_run_is_taken(tmp_path: Path) -> None:
    service, runner, _, _ = runs_world(tmp_path)
    runner.release.set()
    assert service.drain(1)
    with pytest.raises(StoreError, match="shutting down"):
        service.start_now(1)


def test_a_run_still_queued_at_shutdown_is_closed_as_skipped(tmp_path: Path) -> None:
    service, runner, journal, settings = runs_world(tmp_path)
    settings.create(NewAutoUpdate(1, "db"))
    started = [service.start_now(1), service.start_now(1), service.start_now(2)]
    assert None not in started
    assert _until(lambda: len(runner.ran) == 2)  # two workers: the third run is queued
    assert service.drain(0.2) is False  # two still running: left to finish or to recovery
    queued = next(run_id for run_id in started if run_id not in runner.ran)
    assert journal.get_run(queued).status is RunStatus.SKIPPED
    assert journal.get_run(queued).reason == "colibri stopped before this run began"
    runner.release.set()
    assert _until(
        lambda: all(journal.get_run(str(r)).status is RunStatus.UP_TO_DATE for r in runner.ran)
    )
    assert len(runner.ran) == 2 and queued not in runner.ran


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_list_runs_pages(tmp_path: Path) -> None:
    service, runner, journal, _ = runs_world(tmp_path)
    for name in ("a", "b", "c"):
        journal.start_run(NewRun("local", name, "", ""))
        service.clock.sleep(1)
    assert [r.container_name for r in service.list_runs(limit=2)] == ["c", "b"]
    assert [r.container_name for r in service.list_runs("a")] == ["a"]
    with pytest.raises(Invalid, match="limit"):
        service.list_runs(limit=5000)
    runner.release.set()
    service.drain(1)


# -- containers ------------------------------------------------------------------------------------


def test_check_now_records_statuses_forgets_gone_containers_and_announces_once() -> None:
    clock = FakeClock(T0)
    environments, statuses, metrics, inbox = (
        FakeEnvironments(clock),
        FakeStatuses(),
        FakeMetrics(),
        Inbox(),
    )
    edge = environments.create(NewEnvironment("edge", Endpoint("tcp://edge.lan:2376")))
    engine, registry = FakeEngine(), FakeRegistry()
    for name, digest in (("web", OLD), ("api", NEW)):
        engine.add(name, f"{REG}/{name}:1", local_image(name, f"{REG}/{name}@{OLD}"))
        registry.set_tag(f"{REG}/{name}:1", RemoteManifest(digest, DOCKER_MANIFEST))
    engines = FakeEngines({"local": engine}, down={"edge"})
    service = ContainerService(
        environments,
        statuses,
        engines,
        registry,
        NotificationService(inbox, inbox, inbox, clock),
        metrics,
        clock,
    )
    statuses.rows[(1, "gone")] = ContainerStatus(
        1, "gone", "id", "img:1", CheckStatus.UP_TO_DATE, clock.now() - timedelta(days=1)
    )
    summary = service.check_now()
    assert summary is not None
    assert summary.checked == 2 and summary.updates_available == 1
    assert [part.environment for part in summary.failed] == ["edge"]
    assert "does not answer" in (summary.failed[0].error or "")
    assert {s.container_name: s.status for s in service.list_statuses(1)} == {
        "api": CheckStatus.UPDATE_AVAILABLE,
        "web": CheckStatus.UP_TO_DATE,
    }
    assert len(inbox.sent) == 1 and "api" in inbox.sent[0].title
    clock.current += timedelta(minutes=1)
    assert service.check_now(1) is not None
    assert len(inbox.sent) == 1  # the same update is announced once
    assert sorted(metrics.checks) == sorted(
        [CheckStatus.UP_TO_DATE, CheckStatus.UPDATE_AVAILABLE] * 2
    )
    assert service.check_now(edge.id + 10) is None


# -- metrics and health ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counters:
    registry: str
    requests: dict[str, int]
    throttled: int
    retries: int


def test_metrics_render_checks_runs_and_registry_counters_in_their_own_registry() -> None:
    stats = {"ghcr.io": Counters("ghcr.io", {"HEAD": 3, "GET": 1}, 2, 1)}
    metrics = MetricsService(CollectorRegistry(), lambda: stats)
    metrics.observe_check(CheckStatus.UPDATE_AVAILABLE)
    metrics.observe_run(RunStatus.ROLLED_BACK, "schedule", 12.5)
    metrics.observe_run(RunStatus.BLOCKED, "api", 1.0)
    text = metrics.render().decode()
    assert 'colibri_checks_total{status="update_available"} 1.0' in text
    assert 'colibri_updates_total{result="rolled_back"} 1.0' in text
    assert "colibri_rollbacks_total 1.0" in text and "colibri_blocked_total 1.0" in text
    assert 'colibri_run_duration_seconds_count{trigger="schedule"} 1.0' in text
    assert 'colibri_registry_requests_total{method="HEAD",registry="ghcr.io"} 3.0' in text
    assert 'colibri_registry_throttled_total{registry="ghcr.io"} 2.0' in text
    assert metrics.content_type.startswith("text/plain")
    other = MetricsService(CollectorRegistry())  # a second service in one process is fine
    assert "update_available" not in other.render().decode()


def test_health_says_which_part_fails() -> None:
    clock = FakeClock(T0)
    environments = FakeEnvironments(clock)
    engines = FakeEngines({"local": FakeEngine()})
    assert HealthService(environments, engines, lambda: True).check() == {
        "store": True,
        "daemon": True,
        "scheduler": True,
    }
    engines.down.add("local")
    assert HealthService(environments, engines).check() == {"store": True, "daemon": False}
