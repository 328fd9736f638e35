"""Containers run by systemd units, on podman: updated through the unit (restart over D-Bus),
rolled back through it, recovered after a crash. systemd is the stand-in of
tests/support/systemd_standin.py on a real bus; it restarts the real podman containers with
``podman run --replace``, as a ``podman generate systemd --new`` unit does."""

from __future__ import annotations

import secrets

import pytest

from tests.support.docker_env import SESSION_LABEL
from tests.support.engines import PodmanService
from tests.support.images import SERVE_FOREVER
from tests.support.scenario import ColibriCli, Published, Publisher
from tests.support.systemd_standin import SystemdStandIn, Unit

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _unit_container(
    standin: SystemdStandIn, publisher: Publisher, prefix: str, *, broken: bool = False
) -> tuple[Unit, Published, Published]:
    """v1 pulled on podman and run by a unit, v2 (``broken``: exits at once) upstream."""
    podman = standin.podman
    repository = f"{prefix}/unit-{secrets.token_hex(2)}"
    v1 = publisher.publish(repository, "1")
    podman.cli("pull", v1.ref)
    v2 = publisher.publish(repository, "1", cmd=("false",) if broken else SERVE_FOREVER)
    container = f"{prefix}-unit-{secrets.token_hex(2)}"
    unit_name = f"container-{container}.service"
    labels = {
        SESSION_LABEL: prefix,
        "io.containers.autoupdate": "registry",
        "PODMAN_SYSTEMD_UNIT": unit_name,
    }
    args = [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]
    unit = standin.add_unit(unit_name, container, [*args, v1.ref])
    return unit, v1, v2


def _cli(colibri: ColibriCli, podman: PodmanService, standin: SystemdStandIn) -> ColibriCli:
    colibri.env.update(DOCKER_HOST=podman.host, COLIBRI_SYSTEMD_BUS=standin.address)
    return colibri


def _image_of(podman: PodmanService, container: str) -> str:
    image = podman.cli("inspect", "--format", "{{.Image}}", container)
    return image if image.startswith("sha256:") else f"sha256:{image}"


def test_a_unit_container_is_updated_by_restarting_its_unit(
    systemd_standin: SystemdStandIn, publisher: Publisher, session_prefix: str, colibri: ColibriCli
) -> None:
    unit, v1, v2 = _unit_container(systemd_standin, publisher, session_prefix)
    podman = systemd_standin.podman
    assert _image_of(podman, unit.container) == v1.image_id
    [outcome] = _cli(colibri, podman, systemd_standin).json("update", unit.container)
    assert outcome["status"] == "updated", outcome
    assert _image_of(podman, unit.container) == v2.image_id
    assert systemd_standin.jobs == [(unit.name, "done")]
    [run] = colibri.json("history", unit.container)
    assert [s["step"] for s in run["steps"]][:3] == ["resolve", "pull", "gate"]
    assert "restart" in [s["step"] for s in run["steps"]]
    assert "snapshot" not in [s["step"] for s in run["steps"]]


def test_a_failed_unit_restart_points_the_tag_back_and_restarts_it_again(
    systemd_standin: SystemdStandIn, publisher: Publisher, session_prefix: str, colibri: ColibriCli
) -> None:
    unit, v1, _ = _unit_container(systemd_standin, publisher, session_prefix, broken=True)
    podman = systemd_standin.podman
    [outcome] = _cli(colibri, podman, systemd_standin).json("update", unit.container, expect=(4,))
    assert outcome["status"] == "rolled_back", outcome
    assert _image_of(podman, unit.container) == v1.image_id
    assert f"sha256:{podman.cli('image', 'inspect', '--format', '{{.Id}}', v1.ref)}" == v1.image_id
    assert [job[0] for job in systemd_standin.jobs] == [unit.name, unit.name]
    assert unit.active_state == "active"


def test_a_crash_after_the_restart_is_rolled_back_by_recover(
    systemd_standin: SystemdStandIn, publisher: Publisher, session_prefix: str, colibri: ColibriCli
) -> None:
    unit, v1, _ = _unit_container(systemd_standin, publisher, session_prefix)
    cli = _cli(colibri, systemd_standin.podman, systemd_standin)
    crashed = cli.run("update", unit.container, COLIBRI_FAILPOINT="restart")
    assert crashed.returncode == 137, crashed.stderr
    [recovered] = cli.json("recover")
    assert recovered["status"] == "rolled_back", recovered
    assert _image_of(systemd_standin.podman, unit.container) == v1.image_id
    assert cli.json("recover") == []
