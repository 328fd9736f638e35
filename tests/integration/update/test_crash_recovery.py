"""Kill ``colibri update`` at every step (and at random moments); ``colibri recover`` must
leave exactly one container with the name, running, and nothing temporary behind."""

from __future__ import annotations

import random
import secrets
import signal
import time

import docker
import pytest

from colibri.domain.transient import replaced_by
from tests.support.docker_env import DockerTracker
from tests.support.engines import EngineUnderTest
from tests.support.images import ImageFactory
from tests.support.registry import RegistryServer
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}
STEPS = [
    "resolve",
    "pull",
    "gate",
    "snapshot",
    "create",
    "rename_old",
    "rename_new",
    "stop",
    "start",
    "verify",
    "commit",
]


@pytest.fixture(scope="module")
def versions(
    engine: EngineUnderTest,
    docker_api: docker.APIClient,
    image_factory: ImageFactory,
    registry: RegistryServer,
    session_prefix: str,
) -> tuple[Published, Published]:
    """v1 pulled on the engine under test, v2 waiting upstream (dockerd builds both)."""
    publisher = Publisher(docker_api, image_factory, registry, host_api=engine.api)
    repo = f"{session_prefix}/crash-{secrets.token_hex(2)}"
    v1, v2 = publisher.upstream_moved(repo)
    return v1, v2


def assert_recovered(
    client: docker.DockerClient, name: str, allowed: set[str], v1: Published
) -> str:
    """Exactly one container named ``name``, running; no -colibri- leftovers; the local tag
    names the image that runs. Returns the marker of the image it runs."""
    everything = client.containers.list(all=True, ignore_removed=True)
    same = [c for c in everything if c.name == name]
    leftovers = [c.name for c in everything if (c.name or "").startswith(f"{name}-colibri-")]
    assert len(same) == 1 and not leftovers, (same, leftovers)
    container = same[0]
    assert container.status == "running", container.status
    _, output = container.exec_run(["cat", "/colibri-marker"])
    assert isinstance(output, bytes)
    marker = output.decode().strip()
    assert marker in allowed
    if marker == v1.marker:
        assert client.images.get(v1.ref).id == v1.image_id
    return marker


#: On podman, the steps whose effects go through podman's own differences (the libpod pull,
#: the create body, the renames, the health-aware verify, the removal): every step there
#: would add minutes to CI for steps that are the same code on the same compatible API.
PODMAN_STEPS = ["pull", "create", "rename_new", "start", "verify", "commit"]
CASES = [("docker", step) for step in STEPS] + [("podman", step) for step in PODMAN_STEPS]


@pytest.mark.parametrize(("engine", "step"), CASES, indirect=["engine"])
def test_a_crash_after_each_step_is_recovered(
    step: str,
    versions: tuple[Published, Published],
    engine_tracker: DockerTracker,
    engine_cli: ColibriCli,
    engine: EngineUnderTest,
) -> None:
    v1, v2 = versions
    engine.client.api.tag(v1.image_id, v1.repository, "1")
    old = engine_tracker.run(v1.ref, f"crash-{step}", labels=OPT_IN)
    crashed = engine_cli.run("update", old.name, "--format", "json", COLIBRI_FAILPOINT=step)
    assert crashed.returncode == 137, (crashed.stdout, crashed.stderr)
    recovered = engine_cli.json("recover")
    assert [r["status"] for r in recovered] in (["updated"], ["rolled_back"], ["failed"])
    expected = v2.marker if step == "commit" else v1.marker
    assert assert_recovered(engine.client, old.name, {expected}, v1) == expected
    [run] = engine_cli.json("history", old.name)
    assert run["status"] == recovered[0]["status"]
    assert "recover" in [s["step"] for s in run["steps"]]
    assert engine_cli.json("recover") == []


def test_copies_left_mid_swap_are_never_checked_or_updated_as_containers(
    versions: tuple[Published, Published],
    engine_tracker: DockerTracker,
    engine_cli: ColibriCli,
    engine: EngineUnderTest,
) -> None:
    """Between its two renames an update leaves the old container running under a temporary
    name (with the opt-in label) and the name free: another colibri must neither pick the
    copy up nor call the name missing."""
    v1, _ = versions
    engine.client.api.tag(v1.image_id, v1.repository, "1")
    old = engine_tracker.run(v1.ref, "midswap", labels=OPT_IN)
    crashed = engine_cli.run("update", old.name, COLIBRI_FAILPOINT="rename_old")
    assert crashed.returncode == 137, (crashed.stdout, crashed.stderr)
    [aside] = [c for c in engine.client.containers.list() if c.id == old.id]
    assert aside.name and aside.name != old.name and replaced_by(aside.name) == old.name
    checked = engine_cli.run("check", "--format", "json", "--all")
    assert checked.returncode in (0, 3, 4), checked.stderr
    names = [result["container"] for result in checked.json()]
    assert not [name for name in names if replaced_by(name)], names
    note = f"note: {aside.name} not checked: a temporary copy made while updating {old.name}"
    assert note in checked.stderr
    engine_cli.run("recover")
    assert assert_recovered(engine.client, old.name, {v1.marker}, v1) == v1.marker


def test_sigkill_at_random_moments_never_loses_the_container(
    versions: tuple[Published, Published],
    engine_tracker: DockerTracker,
    engine_cli: ColibriCli,
    engine: EngineUnderTest,
) -> None:
    v1, v2 = versions
    rng = random.Random(20261123)
    for attempt in range(3 if engine.is_podman else 6):  # podman: half, for CI's time
        engine.client.api.tag(v1.image_id, v1.repository, "1")
        old = engine_tracker.run(v1.ref, f"kill{attempt}", labels=OPT_IN)
        process = engine_cli.start("update", old.name)
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        engine_cli.run("recover")
        assert_recovered(engine.client, old.name, {v1.marker, v2.marker}, v1)
        old_same = engine.client.containers.get(old.name)
        old_same.remove(force=True)
