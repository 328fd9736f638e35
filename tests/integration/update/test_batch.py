"""A batch of containers updated at once on the real daemon: one failing container among good
ones, and the whole batch killed mid-way then recovered."""

from __future__ import annotations

import secrets
import signal
import time
from typing import Any

import docker
import pytest

from tests.integration.update.test_crash_recovery import assert_recovered
from tests.support.docker_env import DockerTracker
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = [pytest.mark.docker, pytest.mark.slow]

OPT_IN = {"colibri.enable": "true"}
FAST = {"COLIBRI_STABILITY_WINDOW": "1", "COLIBRI_UPDATE_CONCURRENCY": "4"}


def upstream(publisher: Publisher, prefix: str, **v2_build: Any) -> tuple[Published, Published]:
    return publisher.upstream_moved(f"{prefix}/batch-{secrets.token_hex(3)}", **v2_build)


def test_one_failing_container_among_good_ones_is_rolled_back_alone(
    publisher: Publisher,
    session_prefix: str,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
) -> None:
    good_v1, good_v2 = upstream(publisher, session_prefix)
    bad_v1, _ = upstream(publisher, session_prefix, cmd=["false"])
    good = [docker_tracker.run(good_v1.ref, f"good{i}", labels=OPT_IN) for i in range(3)]
    bad = docker_tracker.run(bad_v1.ref, "bad", labels=OPT_IN)
    names = [c.name for c in (*good, bad)]
    outcomes = colibri.json("update", *names, expect=(4,), **FAST)
    by_name = {o["container"]: o for o in outcomes}
    assert by_name[bad.name]["status"] == "rolled_back", by_name[bad.name]
    assert [by_name[c.name]["status"] for c in good] == ["updated"] * 3
    assert len({o["run_id"] for o in outcomes}) == 4  # each its own run
    for container in good:
        assert_recovered(docker_client, container.name, {good_v2.marker}, good_v1)
    current = docker_client.containers.get(bad.name)
    assert (current.id, current.status) == (bad.id, "running")
    assert docker_client.images.get(bad_v1.ref).id == bad_v1.image_id


@pytest.mark.parametrize("how", ["failpoint", "sigkill"])
def test_a_batch_killed_mid_way_is_recovered_container_by_container(
    how: str,
    publisher: Publisher,
    session_prefix: str,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
) -> None:
    """Four containers in flight at once when the process dies (at the first one to start
    its new container, or by SIGKILL at a moment inside the batch): each is finished or
    undone, none lost, nothing temporary left."""
    v1, v2 = upstream(publisher, session_prefix)
    containers = [docker_tracker.run(v1.ref, f"kill{i}", labels=OPT_IN) for i in range(4)]
    names = [c.name for c in containers]
    if how == "failpoint":
        crashed = colibri.run("update", *names, COLIBRI_FAILPOINT="start", **FAST)
        assert crashed.returncode == 137, (crashed.stdout, crashed.stderr)
    else:
        process = colibri.start("update", *names, **FAST)
        _wait_for_a_swap(docker_client, names)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    recovered = colibri.json("recover")
    assert recovered, "the batch was killed before any run began"
    assert {r["status"] for r in recovered} <= {"updated", "rolled_back", "failed"}
    markers = {_one_running(docker_client, name) for name in names}
    assert markers <= {v1.marker, v2.marker}
    if markers == {v1.marker}:  # all undone: the tag names the image that runs again
        assert docker_client.images.get(v1.ref).id == v1.image_id
    assert colibri.json("recover") == []


def _one_running(client: docker.DockerClient, name: str) -> str:
    """Exactly one container named ``name``, running, no copies left; the marker it runs."""
    everything = client.containers.list(all=True, ignore_removed=True)
    same = [c for c in everything if c.name == name]
    leftovers = [c.name for c in everything if c.name.startswith(f"{name}-colibri-")]
    assert len(same) == 1 and not leftovers, (same, leftovers)
    assert same[0].status == "running", same[0].status
    _, output = same[0].exec_run(["cat", "/colibri-marker"])
    return str(output.decode().strip())


def _wait_for_a_swap(client: docker.DockerClient, names: list[str]) -> None:
    """Until a temporary copy of one of ``names`` exists (the batch is mid-way)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = [c.name for c in client.containers.list(all=True, ignore_removed=True)]
        if any(n.startswith(f"{name}-colibri-") for n in listed for name in names):
            return
        time.sleep(0.05)
    raise AssertionError("no update of the batch got as far as creating a copy")
