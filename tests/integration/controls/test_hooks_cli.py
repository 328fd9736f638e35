"""Lifecycle hooks on the real daemon through ``colibri update``: a failing pre-update leaves
the container untouched, exit 75 skips, a failing post-update rolls back, and a passing one
is journaled with its output (watchtower's labels work the same)."""

from __future__ import annotations

from pathlib import Path

import pytest

from colibri.domain.journal import Step
from colibri.store import make_store
from tests.support.docker_env import DockerTracker
from tests.support.scenario import ColibriCli, Published, Publisher

pytestmark = pytest.mark.docker

OPT_IN = {"colibri.enable": "true"}
WT = "com.centurylinklabs.watchtower.lifecycle."


def hooked(
    publisher: Publisher,
    tracker: DockerTracker,
    repo: str,
    labels: dict[str, str],
) -> tuple[Published, Published, str, str]:
    v1, v2 = publisher.upstream_moved(repo)
    container = tracker.run(v1.ref, "hook", labels={**OPT_IN, **labels})
    return v1, v2, container.name, container.id


def run_logs(colibri: ColibriCli, run_id: str) -> tuple[list[str], list[str]]:
    with make_store(f"sqlite:///{Path(colibri.data_dir) / 'colibri.db'}") as store:
        run = store.journal.get_run(run_id)
    hooks = [str(step.data["phase"]) for step in run.steps if step.step is Step.HOOK]
    return hooks, [message for _, _, message in run.logs]


def test_a_failing_pre_update_hook_leaves_the_container_untouched(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    labels = {"colibri.hook.pre-update": "echo cannot back up >&2; exit 3"}
    _, _, name, old_id = hooked(publisher, docker_tracker, f"{session_prefix}/hook-fail", labels)
    [outcome] = colibri.json("update", name, expect=(4,))
    assert outcome["status"] == "failed"
    assert outcome["reason"] == "pre-update hook exited with 3"
    current = docker_tracker.client.containers.get(name)
    assert (current.id, current.status) == (old_id, "running")
    hooks, logs = run_logs(colibri, str(outcome["run_id"]))
    assert hooks == ["pre-update"]
    assert any("cannot back up" in line for line in logs)


def test_exit_75_skips_the_update(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    labels = {f"{WT}pre-update": "exit 75", f"{WT}pre-update-timeout": "1"}
    _, _, name, old_id = hooked(publisher, docker_tracker, f"{session_prefix}/hook-75", labels)
    [outcome] = colibri.json("update", name)
    assert outcome["status"] == "skipped"
    assert "exited with 75" in str(outcome["reason"])
    assert docker_tracker.client.containers.get(name).id == old_id


def test_a_failing_post_update_hook_rolls_back(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    labels = {
        "colibri.hook.pre-update": "echo saved > /tmp/pre",
        "colibri.hook.post-update": "test -f /tmp/pre || { echo no state >&2; exit 1; }",
    }
    v1, _, name, old_id = hooked(publisher, docker_tracker, f"{session_prefix}/hook-post", labels)
    [outcome] = colibri.json("update", name, expect=(4,))
    assert outcome["status"] == "rolled_back"
    assert outcome["reason"] == "post-update hook exited with 1"
    current = docker_tracker.client.containers.get(name)
    assert (current.id, current.status) == (old_id, "running")
    assert current.attrs["Config"]["Image"] == v1.ref
    hooks, logs = run_logs(colibri, str(outcome["run_id"]))
    assert hooks == ["pre-update", "post-update"]
    assert any("no state" in line for line in logs)


def test_passing_hooks_are_journaled_and_the_update_commits(
    publisher: Publisher, docker_tracker: DockerTracker, colibri: ColibriCli, session_prefix: str
) -> None:
    labels = {
        "colibri.hook.pre-check": "echo checking",
        "colibri.hook.pre-update": "echo draining",
        "colibri.hook.post-update": "echo warmed up",
        "colibri.hook.post-check": "exit 9",
    }
    _, v2, name, old_id = hooked(publisher, docker_tracker, f"{session_prefix}/hook-ok", labels)
    [outcome] = colibri.json("update", name)
    assert outcome["status"] == "updated", outcome
    assert outcome["new_digest"] == v2.digest
    assert docker_tracker.client.containers.get(name).id != old_id
    hooks, logs = run_logs(colibri, str(outcome["run_id"]))
    assert hooks == ["pre-check", "pre-update", "post-update", "post-check"]
    assert any("warmed up" in line for line in logs)
    assert any("post-check hook exited with 9" in line for line in logs)
