"""The D-Bus client of systemd's unit manager, against a stand-in on a real message bus (no
systemd as PID 1 here; see tests/support/systemd_standin.py), and against the real systemd
where it runs: that test is marked `systemd` and runs with `make test-systemd` (it fails on a
machine without systemd as PID 1, and is left out of the default run)."""

from __future__ import annotations

import secrets

import pytest

from colibri.errors import UnitError
from colibri.systemd import SystemdUnits
from tests.support.docker_env import SESSION_LABEL
from tests.support.images import SERVE_FOREVER
from tests.support.scenario import Publisher
from tests.support.systemd_standin import SystemdStandIn

pytestmark = pytest.mark.docker


def test_a_restart_waits_for_its_job_and_the_container_is_recreated(
    systemd_standin: SystemdStandIn, publisher: Publisher, session_prefix: str
) -> None:
    published = publisher.publish(f"{session_prefix}/unit-{secrets.token_hex(2)}", "1")
    podman = systemd_standin.podman
    podman.cli("pull", published.ref)
    container = f"{session_prefix}-unit-{secrets.token_hex(2)}"
    unit = systemd_standin.add_unit(
        f"container-{container}.service",
        container,
        ["--label", f"{SESSION_LABEL}={session_prefix}", published.ref, *SERVE_FOREVER],
    )
    before = podman.cli("inspect", "--format", "{{.Id}}", container)
    units = SystemdUnits(systemd_standin.address, timeout=60)
    assert units.restart(unit.name) == "done"
    assert podman.cli("inspect", "--format", "{{.Id}}", container) != before
    assert units.active_state(unit.name) == "active"
    assert systemd_standin.jobs == [(unit.name, "done")]


def test_no_such_unit_and_an_unreachable_bus_are_unit_errors(
    systemd_standin: SystemdStandIn,
) -> None:
    units = SystemdUnits(systemd_standin.address, timeout=5)
    with pytest.raises(UnitError, match="NoSuchUnit"):
        units.restart("nothing.service")
    with pytest.raises(UnitError, match="cannot reach systemd"):
        SystemdUnits("unix:path=/nonexistent/bus").active_state("x.service")


@pytest.mark.systemd
def test_the_real_systemd_answers_for_its_own_units() -> None:
    """Where systemd runs: its D-Bus API answers as the stand-in does (a unit that always
    exists, read only: nothing is restarted)."""
    assert SystemdUnits().active_state("dbus.service") == "active"
    with pytest.raises(UnitError, match="NoSuchUnit"):
        SystemdUnits().active_state(f"colibri-absent-{secrets.token_hex(3)}.service")
