"""``colibri update`` end to end: the container is replaced, verified, recorded; or left as it
was. Real dockerd, real registry, the CLI as a subprocess."""

from __future__ import annotations

import secrets

import docker
import pytest

from tests.support.docker_env import DockerTracker
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}


@pytest.fixture
def upstream(publisher: Publisher, session_prefix: str, request: pytest.FixtureRequest):
    """v1 pulled locally, then v2 published under the same tag (and not pulled)."""
    repo = f"{session_prefix}/{request.node.name[5:30].replace('_', '-')}"

    def make(**v2_build: object) -> tuple[Published, Published]:
        v1, v2 = publisher.upstream_moved(repo, **v2_build)
        return v1, v2

    return make


def marker_of(container) -> str:
    container.reload()
    code, output = container.exec_run(["cat", "/colibri-marker"])
    assert code == 0, output
    return output.decode().strip()


def test_an_update_replaces_the_image_and_keeps_the_name(
    upstream, docker_tracker: DockerTracker, colibri: ColibriCli, docker_client: docker.DockerClient
) -> None:
    v1, v2 = upstream()
    old = docker_tracker.run(v1.ref, "web", labels=OPT_IN)
    [outcome] = colibri.json("update", old.name)
    assert outcome["status"] == "updated", outcome
    assert outcome["old_digest"] == v1.digest and outcome["new_digest"] == v2.digest
    assert outcome["downtime_ms"] is not None and outcome["downtime_ms"] >= 0
    new = docker_client.containers.get(old.name)
    assert new.id != old.id
    assert new.attrs["Config"]["Image"] == f"{v1.repository}:1"
    assert marker_of(new) == v2.marker
    assert new.status == "running"
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(old.id)
    names = [c.name for c in docker_client.containers.list(all=True, ignore_removed=True)]
    assert not [n for n in names if n.startswith(old.name + "-colibri")]
    # the tag now names the new image; the next check sees it up to date
    assert docker_client.images.get(v1.ref).id == new.image.id
    [again] = colibri.json("check", old.name)
    assert again["status"] == "up_to_date"


def test_dry_run_changes_nothing(
    upstream, docker_tracker: DockerTracker, colibri: ColibriCli, docker_client: docker.DockerClient
) -> None:
    v1, v2 = upstream()
    old = docker_tracker.run(v1.ref, "dry", labels=OPT_IN)
    [outcome] = colibri.json("update", old.name, "--dry-run")
    assert outcome["status"] == "would_update"
    assert outcome["new_digest"] == v2.digest
    assert docker_client.containers.get(old.name).id == old.id
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(f"{v1.repository}@{v2.digest}")


def test_history_lists_the_run_with_its_steps(
    upstream, docker_tracker: DockerTracker, colibri: ColibriCli
) -> None:
    v1, _ = upstream()
    old = docker_tracker.run(v1.ref, "hist", labels=OPT_IN)
    colibri.json("update", old.name)
    [run] = colibri.json("history", old.name)
    assert run["status"] == "updated"
    steps = [step["step"] for step in run["steps"]]
    assert steps == [
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
        "done",
    ]


@pytest.mark.parametrize(
    ("stem", "v2_build", "why"),
    [
        ("exits", {"cmd": ["false"]}, "not running"),
        (
            "unhealthy",
            {"changes": ["HEALTHCHECK --interval=1s --retries=2 CMD false"]},
            "unhealthy",
        ),
        ("crashloop", {"cmd": ["sh", "-c", "sleep 0.3; exit 3"]}, "restart"),
        ("no-entrypoint", {"cmd": ["/bin/does-not-exist"]}, ""),
    ],
)
def test_a_broken_new_image_is_rolled_back_and_the_old_container_runs(
    upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
    stem: str,
    v2_build: dict[str, object],
    why: str,
) -> None:
    v1, _ = upstream(**v2_build)
    restart = {"Name": "on-failure", "MaximumRetryCount": 5} if stem == "crashloop" else None
    old = docker_tracker.run(v1.ref, stem, labels=OPT_IN, restart_policy=restart)
    [outcome] = colibri.json("update", old.name, expect=(4,))
    assert outcome["status"] in {"rolled_back", "failed"}, outcome
    assert why in outcome["reason"]
    current = docker_client.containers.get(old.name)
    assert current.id == old.id
    assert current.status == "running"
    assert marker_of(current) == v1.marker
    assert docker_client.images.get(v1.ref).id == v1.image_id  # the tag was put back
    names = [c.name for c in docker_client.containers.list(all=True, ignore_removed=True)]
    assert not [n for n in names if n.startswith(old.name + "-colibri")]


HTTPD = ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]


@pytest.mark.parametrize(
    ("probe", "expected"), [("http://:8080/index.html", "updated"), ("tcp://:9", "rolled_back")]
)
def test_a_probe_label_must_answer_after_the_start(
    upstream,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
    probe: str,
    expected: str,
) -> None:
    v1, _ = upstream(cmd=HTTPD)
    labels = {**OPT_IN, "colibri.probe": probe}
    old = docker_tracker.run(v1.ref, "probe", labels=labels, command=HTTPD)
    [outcome] = colibri.json(
        "update",
        old.name,
        COLIBRI_PROBE_TIMEOUT="3",
        expect=(0,) if expected == "updated" else (4,),
    )
    assert outcome["status"] == expected, outcome
    if expected == "rolled_back":
        assert "probe tcp://:9 failed" in outcome["reason"]
        assert docker_client.containers.get(old.name).id == old.id


def test_a_version_policy_moves_the_container_to_a_newer_tag(
    publisher: Publisher,
    session_prefix: str,
    docker_tracker: DockerTracker,
    colibri: ColibriCli,
    docker_client: docker.DockerClient,
) -> None:
    repo = f"{session_prefix}/versions-{secrets.token_hex(2)}"
    current = publisher.publish(repo, "1.0.0")
    publisher.pull(current)
    published = {tag: publisher.publish(repo, tag) for tag in ("1.0.1", "1.1.0", "2.0.0")}
    for release in published.values():
        publisher.forget(release)
    labels = {**OPT_IN, "colibri.policy": "minor"}
    old = docker_tracker.run(current.ref, "versions", labels=labels)

    [result] = colibri.json("check", old.name, expect=(3,))
    assert (result["status"], result["target_tag"]) == ("update_available", "1.1.0")
    assert result["remote_digest"] == published["1.1.0"].digest

    [outcome] = colibri.json("update", old.name)
    assert outcome["status"] == "updated", outcome
    new = docker_client.containers.get(old.name)
    assert new.attrs["Config"]["Image"] == f"{current.repository}:1.1.0"
    assert marker_of(new) == published["1.1.0"].marker
    [again] = colibri.json("check", old.name)
    assert again["status"] == "up_to_date" and again["target_tag"] is None
