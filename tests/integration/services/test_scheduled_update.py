"""``colibri serve``'s parts as ``bootstrap.serve`` assembles them, on a real dockerd, a real
registry, the real store (SQLite and PostgreSQL) and a loopback notification sink: a setting
created through the schedule service, made due, is run by a scheduler tick, or run now."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import docker
import pytest

from colibri.bootstrap import serve as bootstrap
from colibri.config import Settings
from colibri.domain.criteria import Level
from colibri.domain.journal import NewRun, RunStatus
from colibri.domain.model import CheckStatus
from colibri.domain.notifications import NewNotificationTarget
from colibri.domain.settings import AutoUpdateConfig, AutoUpdateSetting, NewAutoUpdate
from colibri.store import make_store
from tests.support.docker_env import DockerTracker
from tests.support.notify_sink import NotifySink
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry]

Upstream = Callable[[], tuple[Published, Published]]


@pytest.fixture
def upstream(publisher: Publisher, session_prefix: str, request: pytest.FixtureRequest) -> Upstream:
    """v1 pulled locally, then v2 published under the same tag (and not pulled)."""
    repo = (
        f"{session_prefix}/{request.node.name[5:28].replace('_', '-')}-{request.node.callspec.id}"
    )

    def make() -> tuple[Published, Published]:
        return publisher.upstream_moved(repo)

    return make


@pytest.fixture
def service(tmp_path: Path, database_url: str) -> Iterator[bootstrap.Service]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        docker_config=tmp_path / "docker-config",
        stability_window=1,
        health_timeout=20,
        check_interval=None,
        scanner="none",
        criteria=Level.NEVER,
        notify_allow_private=True,  # the sink is on loopback
    )
    with bootstrap.serve(settings) as assembled:
        yield assembled


def make_due(database_url: str, setting: AutoUpdateSetting) -> None:
    """As if its slot had come while the service was down."""
    with make_store(database_url, migrate=False) as store:
        past = datetime.now(UTC) - timedelta(hours=3)
        assert store.auto_updates.update(setting.id, setting.config, next_run_at=past)


def marker_of(container: Any) -> str:
    container.reload()
    code, output = container.exec_run(["cat", "/colibri-marker"])
    assert code == 0, output
    return str(output.decode().strip())


def test_a_due_setting_is_updated_by_the_scheduler_journaled_and_announced(
    service: bootstrap.Service,
    database_url: str,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    notify_sink: NotifySink,
) -> None:
    v1, v2 = upstream()
    old = docker_tracker.run(v1.ref, "sched")
    services = service.services
    services.targets.create(NewNotificationTarget("sink", notify_sink.url("/hook")))
    setting = services.schedules.create(NewAutoUpdate(service.local.id, old.name))
    make_due(database_url, setting)

    assert service.scheduler.tick() == 1
    assert service.scheduler.stop(grace=120)

    new = docker_client.containers.get(old.name)
    assert new.id != old.id and marker_of(new) == v2.marker
    [run] = services.runs.list_runs(container_name=old.name)
    assert (run.trigger, run.status, run.new_digest) == ("schedule", RunStatus.UPDATED, v2.digest)
    full = services.runs.get_run(run.id)
    assert full is not None and [s.step.value for s in full.steps][-2:] == ["commit", "done"]
    stored = services.schedules.get(setting.id)
    assert stored is not None and stored.last_status is RunStatus.UPDATED
    assert stored.last_run_id == run.id and stored.next_run_at is not None
    assert stored.next_run_at > datetime.now(UTC)
    [status] = [s for s in services.containers.list_statuses() if s.container_name == old.name]
    assert status.status is CheckStatus.UP_TO_DATE and status.current_digest == v2.digest
    [message] = [r.json() for r in notify_sink.delivered]
    assert message["title"] == f"Updated: {old.name} on local"
    assert run.id in message["message"]
    metrics = services.metrics.render().decode()
    assert 'colibri_updates_total{result="updated"} 1.0' in metrics
    assert 'colibri_run_duration_seconds_count{trigger="schedule"} 1.0' in metrics


def test_a_settings_own_criteria_block_the_update_and_say_why(
    service: bootstrap.Service,
    database_url: str,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    notify_sink: NotifySink,
) -> None:
    v1, _ = upstream()
    old = docker_tracker.run(v1.ref, "gated")
    services = service.services
    services.targets.create(NewNotificationTarget("sink", notify_sink.url("/hook")))
    strict = AutoUpdateConfig(criteria=Level.HIGH)  # scanning asked for; no scanner configured
    setting = services.schedules.create(NewAutoUpdate(service.local.id, old.name, strict))
    make_due(database_url, setting)

    assert service.scheduler.tick() == 1
    assert service.scheduler.stop(grace=120)

    assert docker_client.containers.get(old.name).id == old.id
    assert marker_of(docker_client.containers.get(old.name)) == v1.marker
    [run] = services.runs.list_runs(container_name=old.name)
    assert run.status is RunStatus.BLOCKED and "scanner" in run.reason
    [message] = [r.json() for r in notify_sink.delivered]
    assert message["title"] == f"Update blocked: {old.name} on local"
    assert "scanner" in message["message"]
    stored = services.schedules.get(setting.id)
    assert stored is not None and stored.consecutive_failures == 0  # blocked is a decision


def test_run_now_answers_at_once_and_can_be_followed_to_its_end(
    service: bootstrap.Service,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
) -> None:
    v1, v2 = upstream()
    old = docker_tracker.run(v1.ref, "now")
    services = service.services
    setting = services.schedules.create(NewAutoUpdate(service.local.id, old.name))

    run_id = services.runs.start_now(setting.id)

    assert run_id is not None
    events = list(services.runs.follow(run_id, poll=0.1))
    steps = [event["step"] for event in events if event["event"] == "step"]
    assert steps[:3] == ["resolve", "pull", "gate"] and steps[-1] == "done"
    assert events[-1]["event"] == "finished" and events[-1]["status"] == "updated"
    assert marker_of(docker_client.containers.get(old.name)) == v2.marker
    run = services.runs.get_run(run_id)
    assert run is not None and run.trigger == "api" and run.status is RunStatus.UPDATED


def test_a_queued_run_another_process_recovered_meanwhile_changes_nothing(
    service: bootstrap.Service,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    colibri: ColibriCli,
    database_url: str,
) -> None:
    """A "run now" row waits for a worker; `colibri recover` in another process closes it as
    interrupted; when the worker gets to it, it must leave the row and the container alone."""
    v1, _ = upstream()
    old = docker_tracker.run(v1.ref, "queued")
    setting = service.services.schedules.create(NewAutoUpdate(service.local.id, old.name))
    queued = NewRun(service.local.name, old.name, "", "", trigger="api", run_id="ab" * 16)
    row = service.runs.journal.start_run(queued)

    recovered = colibri.json("recover", COLIBRI_DATABASE_URL=database_url)

    assert [(r["run_id"], r["status"]) for r in recovered] == [(row.id, "failed")]
    outcome = service.runs.runner.run(setting, trigger="api", run_id=row.id)
    assert outcome.status is RunStatus.SKIPPED and "closed before it began" in outcome.reason
    stored = service.runs.journal.get_run(row.id)
    assert stored.status is RunStatus.FAILED and stored.reason == recovered[0]["reason"]
    current = docker_client.containers.get(old.name)
    assert current.id == old.id and marker_of(current) == v1.marker
