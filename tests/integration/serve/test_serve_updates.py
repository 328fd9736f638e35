"""``colibri serve`` updating real containers: a due setting is run by the process's scheduler
and announced; SIGTERM lets a running update finish, or, after the grace period, leaves it to
the journal, and the next start recovers it (as it recovers a crashed ``colibri update``)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import docker
import pytest

from colibri.domain.journal import RunRecord, RunStatus
from colibri.domain.notifications import NewNotificationTarget
from colibri.domain.settings import NewAutoUpdate
from colibri.registry.clock import SystemClock
from colibri.services.schedules import ScheduleService
from tests.integration.serve.conftest import Server
from tests.support.docker_env import DockerTracker
from tests.support.notify_sink import NotifySink
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = [pytest.mark.docker, pytest.mark.registry]

Upstream = Callable[..., tuple[Published, Published]]
#: Healthy about three seconds after it starts: long enough to be stopped while verifying.
SLOW_START = {
    "cmd": ["sh", "-c", "trap 'exit 0' TERM INT; sleep 3; touch /tmp/ready; sleep 86400 & wait"],
    "changes": ["HEALTHCHECK --interval=1s --retries=30 CMD test -f /tmp/ready"],
}
#: Never healthy, never unhealthy within the test: verification waits.
NEVER_READY = {"changes": ["HEALTHCHECK --interval=1s --start-period=300s CMD false"]}


@pytest.fixture
def upstream(publisher: Publisher, session_prefix: str) -> Upstream:
    """v1 pulled locally, then v2 (built as asked) published under the same tag."""

    def make(**v2_build: Any) -> tuple[Published, Published]:
        return publisher.upstream_moved(
            f"{session_prefix}/serve-{secrets.token_hex(3)}", **v2_build
        )

    return make


def schedule_now(server: Server, container: str, sink: NotifySink | None = None) -> int:
    """A setting for ``container``, due now, in the service's database (and a target)."""
    with server.store() as store:
        schedules = ScheduleService(store.auto_updates, store.environments, SystemClock())
        local = store.environments.find("local")
        assert local is not None
        setting = schedules.create(NewAutoUpdate(local.id, container))
        past = datetime.now(UTC) - timedelta(minutes=1)
        assert store.auto_updates.update(setting.id, setting.config, next_run_at=past)
        if sink is not None:
            store.notification_targets.create(NewNotificationTarget("sink", sink.url("/hook")))
        return setting.id


def run_of(server: Server, container: str) -> RunRecord | None:
    with server.store() as store:
        runs = store.journal.list_runs(container_name=container)
        return store.journal.get_run(runs[0].id) if runs else None


def wait_for_step(server: Server, container: str, step: str, timeout: float = 90) -> RunRecord:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = run_of(server, container)
        if run is not None and any(s.step.value == step for s in run.steps):
            return run
        time.sleep(0.1)
    pytest.fail(f"the run of {container} never reached {step}: {run_of(server, container)}")


def marker_of(container: Any) -> str:
    container.reload()
    code, output = container.exec_run(["cat", "/colibri-marker"])
    assert code == 0, output
    return str(output.decode().strip())


def assert_only(client: docker.DockerClient, name: str) -> Any:
    """Exactly one container named ``name``, running, and no temporary one left."""
    everything = client.containers.list(all=True)
    leftovers = [c.name for c in everything if c.name.startswith(f"{name}-colibri-")]
    [container] = [c for c in everything if c.name == name]
    assert not leftovers and container.status == "running", (leftovers, container.status)
    return container


def test_sigterm_lets_a_scheduled_update_finish_and_it_is_announced(
    server: Server,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
    notify_sink: NotifySink,
) -> None:
    v1, v2 = upstream(**SLOW_START)
    old = docker_tracker.run(v1.ref, "drain")
    schedule_now(server, old.name, notify_sink)

    serving = server.start(COLIBRI_SHUTDOWN_GRACE="120")
    wait_for_step(server, old.name, "verify")
    assert serving.terminate(timeout=150) == 0, serving.output()

    run = run_of(server, old.name)
    assert run is not None and run.status is RunStatus.UPDATED, serving.output()
    assert run.trigger == "schedule"
    assert marker_of(assert_only(docker_client, old.name)) == v2.marker
    [message] = [r.json() for r in notify_sink.delivered]
    assert message["title"] == f"Updated: {old.name} on local"
    assert "Colibri stopped." in "".join(serving.lines)


def test_an_update_still_running_after_the_grace_is_left_to_recovery_at_the_next_start(
    server: Server,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
) -> None:
    v1, _ = upstream(**NEVER_READY)
    old = docker_tracker.run(v1.ref, "grace")
    schedule_now(server, old.name)

    serving = server.start(COLIBRI_SHUTDOWN_GRACE="1", COLIBRI_HEALTH_TIMEOUT="120")
    wait_for_step(server, old.name, "verify")
    started = time.monotonic()
    assert serving.terminate(timeout=60) == 0, serving.output()
    assert time.monotonic() - started < 30
    assert "left to recovery" in "".join(serving.stderr)
    interrupted = run_of(server, old.name)
    assert interrupted is not None and interrupted.status is RunStatus.RUNNING

    again = server.start()
    recovered = run_of(server, old.name)
    assert recovered is not None and recovered.id == interrupted.id
    assert recovered.status is RunStatus.ROLLED_BACK, again.output()
    assert any(f"recovered {old.name} (run {interrupted.id})" in line for line in again.lines)
    container = assert_only(docker_client, old.name)
    assert container.id == old.id and marker_of(container) == v1.marker
    assert again.terminate() == 0


def test_serve_recovers_a_crashed_colibri_update_at_start(
    server: Server,
    colibri: ColibriCli,
    upstream: Upstream,
    docker_tracker: DockerTracker,
    docker_client: docker.DockerClient,
) -> None:
    v1, _ = upstream()
    old = docker_tracker.run(v1.ref, "crash", labels={"colibri.enable": "true"})
    crashed = colibri.run("update", old.name, COLIBRI_FAILPOINT="rename_new")
    assert crashed.returncode == 137, crashed.stderr
    interrupted = run_of(server, old.name)
    assert interrupted is not None and interrupted.status is RunStatus.RUNNING

    serving = server.start()
    assert any(f"recovered {old.name}" in line for line in serving.lines), serving.output()
    recovered = run_of(server, old.name)
    assert recovered is not None and recovered.status is RunStatus.ROLLED_BACK
    container = assert_only(docker_client, old.name)
    assert container.id == old.id and marker_of(container) == v1.marker
    assert serving.terminate() == 0
