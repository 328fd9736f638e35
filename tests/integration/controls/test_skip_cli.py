"""``colibri skip`` / ``unskip`` / ``skips`` and what ``check`` and ``update`` then say: the
CLI as a subprocess, real dockerd, real registry, its own SQLite database."""

from __future__ import annotations

import pytest

from tests.support.docker_env import DockerTracker
from tests.support.scenario import ColibriCli, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}
SOURCE = "https://github.com/acme/web"


def test_skip_the_offered_update_then_unskip(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    labels = [
        "LABEL org.opencontainers.image.version=2.0.0",
        "LABEL org.opencontainers.image.revision=bbbbbbb2",
        f"LABEL org.opencontainers.image.source={SOURCE}",
    ]
    v1, v2 = publisher.upstream_moved(f"{session_prefix}/skip-cli", changes=labels)
    container = docker_tracker.run(v1.ref, "web", labels=OPT_IN)

    [offered] = colibri.json("check", container.name, expect=(3,))
    assert offered["status"] == "update_available"
    assert offered["update_kind"] == "digest"
    assert offered["changes"]["release_url"] == f"{SOURCE}/releases/tag/2.0.0"
    table = colibri.run("check", container.name)
    assert f"{SOURCE}/releases/tag/2.0.0" in table.stdout

    skipped = colibri.run("skip", container.name, "--reason", "wait for 2.0.1")
    assert skipped.returncode == 0, skipped.stderr
    assert f"digest {v2.digest} skipped: wait for 2.0.1" in skipped.stdout
    [held] = colibri.json("check", container.name)  # exit 0: nothing to update
    assert held["status"] == "skipped"
    assert held["reason"] == f"digest {v2.digest} skipped: wait for 2.0.1"
    [outcome] = colibri.json("update", container.name)
    assert outcome["status"] == "skipped"
    assert docker_tracker.client.containers.get(container.name).id == container.id

    listed = colibri.json("skips")
    assert [item["container"] for item in listed] == [container.name]
    cleared = colibri.run("unskip", container.name)
    assert cleared.stdout.strip() == f"{container.name}: 1 skip(s) cleared"
    [again] = colibri.json("check", container.name, expect=(3,))
    assert again["status"] == "update_available"


def test_snooze_until_and_bad_input(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    v1, _ = publisher.upstream_moved(f"{session_prefix}/snooze-cli")
    container = docker_tracker.run(v1.ref, "snz", labels=OPT_IN)
    snoozed = colibri.run("skip", container.name, "--until", "7d", "--format", "json")
    assert snoozed.returncode == 0, snoozed.stderr
    [record] = snoozed.json()
    assert record["kind"] == "snooze" and record["until"]
    [held] = colibri.json("check", container.name)
    assert held["status"] == "skipped"
    assert held["reason"].startswith("updates snoozed until ")
    assert held["skipped_until"] == record["until"]

    bad = colibri.run("skip", container.name, "--until", "someday")
    assert bad.returncode == 1
    assert "--until: 'someday' is neither a duration" in bad.stderr
    current = publisher.publish(f"{session_prefix}/snooze-cli-current", "1")
    publisher.pull(current)
    fresh = docker_tracker.run(current.ref, "fresh", labels=OPT_IN)
    nothing = colibri.run("skip", fresh.name)
    assert nothing.returncode == 1
    assert "has no update on offer to skip (up_to_date)" in nothing.stderr
