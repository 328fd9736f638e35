"""A stand-in for systemd's D-Bus API on a real message bus, restarting real podman containers.

systemd cannot run as PID 1 on these machines, so the unit path is tested against this: a
private ``dbus-daemon`` (Debian's) and a service owning ``org.freedesktop.systemd1`` that
implements what Colibri calls, as systemd does it:

- ``Manager.Subscribe()``;
- ``Manager.RestartUnit(name, mode)``: answers at once with a new job's object path, then runs
  the job (stop the unit's container, start it again the way a ``podman generate systemd
  --new`` unit does: ``podman run --replace`` with the unit's command line), then emits
  ``Manager.JobRemoved(id, job, unit, result)`` with ``done`` or ``failed``; an unknown unit is
  the error ``org.freedesktop.systemd1.NoSuchUnit``;
- ``Manager.GetUnit(name)`` -> the unit's object path, whose
  ``org.freedesktop.DBus.Properties.Get("org.freedesktop.systemd1.Unit", "ActiveState")``
  reads ``active`` or ``failed``.

Units are registered by the test with the ``podman run`` arguments their ``ExecStart`` has.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from jeepney import (
    DBusAddress,
    HeaderFields,
    Message,
    MessageType,
    message_bus,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from tests.support.engines import PodmanService

NAME = "org.freedesktop.systemd1"
PATH = "/org/freedesktop/systemd1"
MANAGER = f"{NAME}.Manager"
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@dataclass
class Unit:
    """A unit whose ``ExecStart`` is ``podman run --replace -d --name <container> <args>``."""

    name: str
    container: str
    run_args: tuple[str, ...]
    active_state: str = "active"
    restarts: int = 0


@dataclass
class SystemdStandIn:
    """The service on the bus (see the module docstring)."""

    address: str
    podman: PodmanService
    units: dict[str, Unit] = field(default_factory=dict)
    jobs: list[tuple[str, str]] = field(default_factory=list)  # (unit, result)
    _next_job: int = 1
    _stop: threading.Event = field(default_factory=threading.Event)

    def add_unit(self, name: str, container: str, run_args: Sequence[str]) -> Unit:
        """Register ``name`` and start it once, as ``systemctl start`` would."""
        unit = Unit(name, container, tuple(run_args))
        self.units[name] = unit
        unit.active_state = "active" if self._start(unit) else "failed"
        return unit

    def serve(self) -> None:
        connection = open_dbus_connection(bus=self.address)
        try:
            reply = connection.send_and_get_reply(message_bus.RequestName(NAME))
            assert reply.body[0] == 1, f"could not own {NAME}: {reply.body}"
            while not self._stop.is_set():
                try:
                    message = connection.receive(timeout=0.2)
                except TimeoutError:
                    continue
                if message.header.message_type is MessageType.method_call:
                    self._handle(connection, message)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()

    def _handle(self, connection: DBusConnection, message: Message) -> None:
        fields = message.header.fields
        member = fields.get(HeaderFields.member)
        interface = fields.get(HeaderFields.interface)
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            self._property(connection, message)
        elif member == "Subscribe":
            connection.send(new_method_return(message))
        elif member == "GetUnit":
            unit = self.units.get(str(message.body[0]))
            if unit is None:
                connection.send(_no_such_unit(message))
            else:
                connection.send(new_method_return(message, "o", (_unit_path(unit.name),)))
        elif member == "RestartUnit":
            self._restart(connection, message)
        else:
            connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))

    def _restart(self, connection: DBusConnection, message: Message) -> None:
        name, mode = (str(part) for part in message.body)
        unit = self.units.get(name)
        if unit is None:
            connection.send(_no_such_unit(message))
            return
        job_id = self._next_job
        self._next_job += 1
        job = f"{PATH}/job/{job_id}"
        connection.send(new_method_return(message, "o", (job,)))
        assert mode == "replace", mode
        self.podman.cli("stop", "-t", "5", unit.container, check=False)
        unit.active_state = "activating"
        started = self._start(unit)
        unit.active_state = "active" if started else "failed"
        unit.restarts += 1
        result = "done" if started else "failed"
        self.jobs.append((name, result))
        manager = DBusAddress(PATH, interface=MANAGER)
        connection.send(new_signal(manager, "JobRemoved", "uoss", (job_id, job, name, result)))

    def _start(self, unit: Unit) -> bool:
        """``ExecStart=podman run --replace -d --name <container> ...``, then the container
        must be running (``Type=notify`` would wait for it the same way)."""
        done = subprocess.run(
            ["podman", "run", "--replace", "-d", "--name", unit.container, *unit.run_args],
            capture_output=True,
            text=True,
            env=self.podman.env,
            check=False,
        )
        if done.returncode != 0:
            return False
        time.sleep(0.3)
        state = self.podman.cli("inspect", "--format", "{{.State.Running}}", unit.container)
        return state == "true"

    def _property(self, connection: DBusConnection, message: Message) -> None:
        path = str(message.header.fields.get(HeaderFields.path))
        interface, prop = (str(part) for part in message.body)
        unit = next((u for u in self.units.values() if _unit_path(u.name) == path), None)
        if unit is None or interface != f"{NAME}.Unit" or prop != "ActiveState":
            connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownProperty"))
            return
        connection.send(new_method_return(message, "v", (("s", unit.active_state),)))


def _unit_path(name: str) -> str:
    """systemd's escaping of a unit name into an object path."""
    escaped = "".join(c if c.isalnum() else f"_{ord(c):02x}" for c in name)
    return f"{PATH}/unit/{escaped}"


def _no_such_unit(message: Message) -> Message:
    unit = str(message.body[0])
    return new_error(message, f"{NAME}.NoSuchUnit", "s", (f"Unit {unit} not loaded.",))


@pytest.fixture
def systemd_standin(tmp_path: Path, podman_service: PodmanService) -> Iterator[SystemdStandIn]:
    """A private bus with the stand-in on it; ``.address`` is the bus to give Colibri."""
    binary = shutil.which("dbus-daemon")
    if binary is None:
        pytest.fail("dbus-daemon is not installed: run `scripts/setup-system test`", pytrace=False)
    socket = tmp_path / "bus"
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=socket))
    daemon = subprocess.Popen(
        [binary, f"--config-file={config}", "--nofork", "--nopidfile"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while not socket.exists():
        if daemon.poll() is not None or time.monotonic() > deadline:
            error = daemon.stderr.read().decode() if daemon.stderr else ""
            pytest.fail(f"dbus-daemon did not start: {error}", pytrace=False)
        time.sleep(0.05)
    standin = SystemdStandIn(f"unix:path={socket}", podman_service)
    thread = threading.Thread(target=standin.serve, daemon=True)
    thread.start()
    time.sleep(0.2)  # the name is owned before the first call
    try:
        yield standin
    finally:
        standin.stop()
        thread.join(timeout=5)
        for unit in standin.units.values():
            podman_service.cli("rm", "-f", "-t", "0", unit.container, check=False)
        daemon.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            daemon.wait(timeout=5)
