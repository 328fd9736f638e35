"""On the real daemon: an update keeps the MAC the user set and the reference the user wrote,
accepts a host UTS namespace, probes a host-network service on loopback, and leaves containers
that an orchestrator runs alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest

from colibri.clock import SystemClock
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckResult, CheckStatus
from colibri.domain.refs import parse_reference
from colibri.engine import DockerEngine, connect
from colibri.store import make_store
from colibri.update.model import UpdateOptions
from colibri.update.pipeline import UpdatePipeline
from tests.support.docker_env import DockerTracker
from tests.support.registry import free_port
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}
Upstream = Callable[..., tuple[Published, Published]]


@pytest.fixture
def upstream(publisher: Publisher, session_prefix: str, request: pytest.FixtureRequest) -> Upstream:
    repo = f"{session_prefix}/{request.node.name[5:30].replace('_', '-').strip('-')}"

    def make(**v2_build: Any) -> tuple[Published, Published]:
        return publisher.upstream_moved(repo, **v2_build)

    return make


def derived_mac(ip: str) -> str:
    return "02:42:" + ":".join(f"{int(part):02x}" for part in ip.split("."))


def test_the_users_mac_and_reference_are_kept_and_engine_macs_are_not(
    upstream: Upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_api: docker.APIClient,
) -> None:
    v1, v2 = upstream()
    front, back = docker_tracker.network("front"), docker_tracker.network("back")
    old = docker_tracker.run(
        v1.ref, "mac", labels=OPT_IN, network=front.name, mac_address="02:aa:bb:cc:dd:01"
    )
    back.connect(old)
    before = docker_api.inspect_container(old.id)
    assert before["NetworkSettings"]["Networks"][front.name]["MacAddress"] == "02:aa:bb:cc:dd:01"

    [outcome] = colibri.json("update", old.name)
    assert outcome["status"] == "updated", outcome

    after = docker_api.inspect_container(old.name)
    networks = after["NetworkSettings"]["Networks"]
    assert networks[front.name]["MacAddress"] == "02:aa:bb:cc:dd:01"
    assert networks[back.name]["MacAddress"] == derived_mac(networks[back.name]["IPAddress"])
    assert after["Config"]["Image"] == v1.ref  # as written: host/repo:1, no digest
    pulled = docker_api.inspect_image(f"{v2.repository}@{v2.digest}")  # type: ignore[no-untyped-call]
    assert after["Image"] == pulled["Id"]


def test_a_host_uts_namespace_with_the_hosts_name_is_recreated(
    upstream: Upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_api: docker.APIClient,
) -> None:
    v1, _ = upstream()
    old = docker_tracker.run(v1.ref, "uts", labels=OPT_IN, uts_mode="host")
    [outcome] = colibri.json("update", old.name)
    assert outcome["status"] == "updated", outcome
    after = docker_api.inspect_container(old.name)
    assert after["HostConfig"]["UTSMode"] == "host" and after["Id"] != old.id


def test_a_probe_of_a_host_network_container_dials_loopback(
    upstream: Upstream, docker_tracker: DockerTracker, colibri: ColibriCli
) -> None:
    port = free_port()
    httpd = [
        "sh",
        "-c",
        f"mkdir -p /www && echo ok > /www/i && exec httpd -f -p 127.0.0.1:{port} -h /www",
    ]
    v1, _ = upstream(cmd=httpd)
    labels = {**OPT_IN, "colibri.probe": f"http://:{port}/i"}
    old = docker_tracker.run(v1.ref, "hostnet", labels=labels, command=httpd, network_mode="host")
    [outcome] = colibri.json("update", old.name, COLIBRI_PROBE_TIMEOUT="5")
    assert outcome["status"] == "updated", outcome


@pytest.mark.parametrize(
    ("labels", "words"),
    [
        (
            {"com.docker.swarm.task.id": "t1", "com.docker.swarm.service.name": "web"},
            "Swarm task of web",
        ),
        ({"PODMAN_SYSTEMD_UNIT": "container-web.service"}, "systemd unit container-web.service"),
    ],
)
def test_an_orchestrated_container_is_skipped_with_the_reason(
    upstream: Upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    labels: dict[str, str],
    words: str,
) -> None:
    v1, _ = upstream()
    old = docker_tracker.run(v1.ref, "orch", labels={**OPT_IN, **labels})
    [outcome] = colibri.json("update", old.name)
    assert outcome["status"] == "skipped" and words in outcome["reason"], outcome
    assert docker_tracker.client.containers.get(old.name).id == old.id
    checked = colibri.run("check", old.name, "--format", "json")
    assert checked.returncode == 0 and words in checked.stderr


class TagMovedBeforeCreate:
    """The real engine, except that someone points the tag back at the old image right after
    Colibri pointed it at the pulled one (so a create by tag would run the old image)."""

    def __init__(self, engine: DockerEngine, old_image_id: str) -> None:
        self.engine = engine
        self.old_image_id = old_image_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def tag_image(self, image_id: str, repository: str, tag: str) -> None:
        self.engine.tag_image(image_id, repository, tag)
        self.engine.tag_image(self.old_image_id, repository, tag)


def test_a_created_container_not_running_the_checked_image_is_refused_and_rolled_back(
    upstream: Upstream, docker_tracker: DockerTracker, tmp_path: Path
) -> None:
    v1, v2 = upstream()
    old = docker_tracker.run(v1.ref, "moved", labels=OPT_IN)
    engine = connect()
    container = engine.get_container(old.name)
    result = CheckResult(
        container.name,
        container.config_image,
        CheckStatus.UPDATE_AVAILABLE,
        current_digest=v1.digest,
        remote_digest=v2.digest,
        container_id=container.id,
        image_id=container.image_id,
        checked=container,
        ref=parse_reference(v1.ref),
    )
    with make_store(f"sqlite:///{tmp_path / 'colibri.db'}") as store:
        pipeline = UpdatePipeline(
            TagMovedBeforeCreate(engine, v1.image_id),
            store.journal,
            SystemClock(),
        )
        [outcome] = pipeline.update([result], UpdateOptions())
    assert outcome.status is RunStatus.FAILED, outcome
    assert "not the pulled and checked" in outcome.reason
    current = docker_tracker.client.containers.get(old.name)
    assert current.id == old.id and current.status == "running"
    names = [str(c.name) for c in docker_tracker.client.containers.list(all=True)]
    assert not [n for n in names if n.startswith(f"{old.name}-colibri-")]
