"""The per-setting runner over fakes: journal rows, locks, outcomes, backoff, notifications."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from colibri.domain.container_status import ContainerStatus
from colibri.domain.criteria import Level, OnFailure, UnknownAs
from colibri.domain.gate_policy import GateOverrides
from colibri.domain.journal import NewRun, RunStatus, Step
from colibri.domain.model import DOCKER_MANIFEST, CheckStatus, Container, RemoteManifest
from colibri.domain.settings import (
    AutoUpdateConfig,
    AutoUpdateSetting,
    GateOptions,
    NewAutoUpdate,
)
from colibri.errors import PullFailed
from colibri.services.notifications import NotificationService
from colibri.services.runner import RunnerStores, SettingRunner, UpdateTools, setting_overrides
from tests.fakes import FakeClock, FakeEngine, FakeRegistry, digest_of, local_image
from tests.unit.services.serve_fakes import (
    T0,
    FakeAutoUpdates,
    FakeEngines,
    FakeEnvironments,
    FakeGates,
    FakeJournal,
    FakeMetrics,
    FakeStatuses,
    Inbox,
)

REG = "reg.example:5000"
OLD, NEW = digest_of("old"), digest_of("new")


class PullRefused(FakeEngine):
    """An engine whose pulls fail (so the executor stops before touching anything)."""

    def pull(self, repository: str, digest: str, **_: object) -> None:
        raise PullFailed(f"pull of {repository}@{digest} refused")

    def tag_image(self, image_id: str, repository: str, tag: str) -> None:
        pass


class Blocking(FakeEngine):
    """An engine whose first pull waits until released (an update in progress)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def pull(self, repository: str, digest: str, **options: Any) -> None:
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(10)
        super().pull(repository, digest, **options)


@dataclass
class World:
    clock: FakeClock
    environments: FakeEnvironments
    settings: FakeAutoUpdates
    journal: FakeJournal
    statuses: FakeStatuses
    engine: FakeEngine
    engines: FakeEngines
    registry: FakeRegistry
    gates: FakeGates
    metrics: FakeMetrics
    inbox: Inbox
    runner: SettingRunner

    def setting(self, name: str = "web", **config: Any) -> AutoUpdateSetting:
        new = NewAutoUpdate(1, name, AutoUpdateConfig(**config), T0 + timedelta(minutes=1))
        return self.settings.create(new)

    def container(self, name: str = "web", remote: str = OLD, **labels: str) -> None:
        image = local_image(name, f"{REG}/{name}@{OLD}")
        self.engine.add(name, f"{REG}/{name}:1", image, **labels)
        self.registry.set_tag(f"{REG}/{name}:1", RemoteManifest(remote, DOCKER_MANIFEST))


def world(engine: FakeEngine | None = None) -> World:
    clock = FakeClock(T0)
    engine = engine or FakeEngine()
    environments, settings = FakeEnvironments(clock), FakeAutoUpdates(clock)
    journal, statuses = FakeJournal(clock), FakeStatuses()
    engines, registry, gates = FakeEngines({"local": engine}), FakeRegistry(), FakeGates()
    metrics, inbox = FakeMetrics(), Inbox()
    runner = SettingRunner(
        RunnerStores(environments, settings, journal, statuses),
        UpdateTools(engines, registry, gates),
        NotificationService(inbox, inbox, inbox, clock),
        metrics,
        clock,
    )
    return World(
        clock,
        environments,
        settings,
        journal,
        statuses,
        engine,
        engines,
        registry,
        gates,
        metrics,
        inbox,
        runner,
    )


def test_an_up_to_date_container_finishes_its_run_as_up_to_date() -> None:
    w = world()
    w.container()
    outcome = w.runner.run(w.setting(), trigger="schedule")
    assert outcome.status is RunStatus.UP_TO_DATE
    [run] = w.journal.runs.values()
    assert (run.id, run.trigger, run.status) == (outcome.run_id, "schedule", RunStatus.UP_TO_DATE)
    assert run.container_id and run.image == f"{REG}/web:1" and run.old_digest == OLD
    assert [step.step for step in run.steps] == [Step.DONE]
    status = w.statuses.get(1, "web")
    assert isinstance(status, ContainerStatus) and status.status is CheckStatus.UP_TO_DATE
    assert w.metrics.checks == [CheckStatus.UP_TO_DATE]
    assert [(s, t) for s, t, _ in w.metrics.runs] == [(RunStatus.UP_TO_DATE, "schedule")]
    stored = w.settings.get(1)
    assert stored is not None and stored.last_status is RunStatus.UP_TO_DATE
    assert stored.last_run_id == run.id
    assert w.journal.locks == {} and w.inbox.sent == []


def test_it_continues_the_run_row_its_caller_created() -> None:
    w = world()
    w.container()
    row = w.journal.start_run(NewRun("local", "web", "", "", trigger="api", run_id="r1"))
    outcome = w.runner.run(w.setting(), trigger="api", run_id=row.id)
    assert outcome.run_id == "r1" and list(w.journal.runs) == ["r1"]
    assert w.journal.runs["r1"].status is RunStatus.UP_TO_DATE


def test_a_queued_row_closed_meanwhile_by_recovery_is_left_alone_and_nothing_runs() -> None:
    w = world()
    w.container(remote=NEW)
    row = w.journal.start_run(NewRun("local", "web", "", "", trigger="api", run_id="r1"))
    reason = "interrupted at start, before the container was touched"
    w.journal.finish_run(row.id, RunStatus.FAILED, reason=reason)
    outcome = w.runner.run(w.setting(), trigger="api", run_id=row.id)
    assert outcome.status is RunStatus.SKIPPED and "closed before it began" in outcome.reason
    stored = w.journal.runs["r1"]
    assert (stored.status, stored.reason, stored.steps) == (RunStatus.FAILED, reason, ())
    assert w.gates.asked == []  # no image was pulled or evaluated
    assert w.journal.locks == {}


def test_a_missing_container_fails_counts_and_pushes_the_next_run_back() -> None:
    w = world()
    setting = w.setting("gone")
    outcome = w.runner.run(setting, trigger="schedule")
    assert outcome.status is RunStatus.FAILED and "no container named 'gone'" in outcome.reason
    stored = w.settings.get(setting.id)
    assert stored is not None and stored.consecutive_failures == 1
    assert stored.next_run_at == T0 + timedelta(minutes=5)
    assert [m.title for m in w.inbox.sent] and "gone" in w.inbox.sent[0].title


def test_a_container_opted_out_by_label_is_skipped_not_failed() -> None:
    w = world()
    w.container(colibri_enable="false")
    outcome = w.runner.run(w.setting(), trigger="schedule")
    assert outcome.status is RunStatus.SKIPPED and "excluded" in outcome.reason
    stored = w.settings.get(1)
    assert stored is not None and stored.consecutive_failures == 0


def test_a_lock_held_by_another_process_makes_the_run_skipped() -> None:
    w = world()
    w.container(remote=NEW)
    w.journal.foreign_locks.add("local/web")
    outcome = w.runner.run(w.setting(), trigger="api")
    assert outcome.status is RunStatus.SKIPPED and "held" in outcome.reason
    assert [r.status for r in w.journal.runs.values()] == [RunStatus.SKIPPED]
    assert w.gates.asked == [] and w.engine.calls["pull"] == 0  # nothing was attempted


def test_a_second_run_of_the_same_container_in_this_process_is_skipped() -> None:
    engine = Blocking()
    w = world(engine)
    w.container(remote=NEW)
    engine.publish(f"{REG}/web", local_image("web-new", f"{REG}/web@{NEW}"))
    setting = w.setting()
    first: list[RunStatus] = []
    thread = threading.Thread(
        target=lambda: first.append(w.runner.run(setting, trigger="schedule").status)
    )
    thread.start()
    assert engine.entered.wait(10)
    second = w.runner.run(setting, trigger="api")
    engine.release.set()
    thread.join(10)
    assert second.status is RunStatus.SKIPPED and "in this process" in second.reason
    assert first == [RunStatus.UPDATED]


def test_an_unreachable_daemon_fails_the_run_and_notifies() -> None:
    w = world()
    w.engines.down.add("local")
    outcome = w.runner.run(w.setting(), trigger="schedule")
    assert outcome.status is RunStatus.FAILED and "does not answer" in outcome.reason
    assert w.journal.runs[outcome.run_id or ""].status is RunStatus.FAILED
    assert len(w.inbox.sent) == 1


def test_no_notification_when_the_setting_says_so() -> None:
    w = world()
    w.engines.down.add("local")
    w.runner.run(w.setting(notify=False), trigger="schedule")
    assert w.inbox.sent == []


def test_an_update_goes_to_the_executor_with_the_settings_gate() -> None:
    w = world()
    w.container(remote=NEW)
    w.engine.publish(f"{REG}/web", local_image("web-new", f"{REG}/web@{NEW}"))
    outcome = w.runner.run(w.setting(criteria=Level.HIGH), trigger="api")
    assert outcome.status is RunStatus.UPDATED, outcome.reason
    assert [o.level for o in w.gates.asked] == [Level.HIGH]
    run = w.journal.runs[outcome.run_id or ""]
    assert (run.trigger, run.new_digest, run.status) == ("api", NEW, RunStatus.UPDATED)
    assert w.engine.get_container("web").image_id == digest_of("image:web-new")
    status = w.statuses.get(1, "web")
    assert status is not None and status.current_digest == NEW


def test_a_failed_pull_fails_the_run_and_notifies() -> None:
    w = world(PullRefused())
    w.container(remote=NEW)
    outcome = w.runner.run(w.setting(criteria=Level.HIGH), trigger="api")
    assert outcome.status is RunStatus.FAILED and "refused" in outcome.reason
    assert w.gates.asked == []  # nothing was pulled, so no gate was needed
    run = w.journal.runs[outcome.run_id or ""]
    assert (run.trigger, run.new_digest, run.status) == ("api", NEW, RunStatus.FAILED)
    assert Step.PULL in [step.step for step in run.steps]
    assert w.metrics.checks == [CheckStatus.UPDATE_AVAILABLE]
    assert "web" in w.inbox.sent[0].title


def test_a_bug_becomes_a_failed_run_not_an_exception() -> None:
    class Broken(FakeEngine):
        def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
            raise ZeroDivisionError("oops")

    w = world(Broken())
    outcome = w.runner.run(w.setting(), trigger="schedule")
    assert outcome.status is RunStatus.FAILED and "ZeroDivisionError" in outcome.reason
    assert w.journal.runs[outcome.run_id or ""].status is RunStatus.FAILED
    assert w.journal.locks == {}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (AutoUpdateConfig(), GateOverrides()),
        (
            AutoUpdateConfig(
                criteria=Level.CRITICAL,
                gate=GateOptions(
                    only_fixable=True,
                    not_worse_than_running=True,
                    unknown_as=UnknownAs.IGNORE,
                    on_failure=OnFailure.WARN,
                    require_signature=True,
                ),
            ),
            GateOverrides(Level.CRITICAL, True, True, UnknownAs.IGNORE, OnFailure.WARN, True),
        ),
    ],
)
def test_setting_overrides_keep_the_global_policy_for_default_choices(
    config: AutoUpdateConfig, expected: GateOverrides
) -> None:
    assert setting_overrides(config) == expected
