"""Restart systemd units over D-Bus, as ``podman auto-update`` does (``domain.ports.Units``).

``Manager.RestartUnit(unit, "replace")`` queues a job and answers with its object path; the
job's outcome arrives later as the ``JobRemoved`` signal (``done``, ``failed``, ``timeout``,
``canceled``, ``dependency``, ``skipped``). The client subscribes (``Manager.Subscribe``) and
installs the signal's match rule *before* asking for the restart, so a job that ends at once
is not missed. Each call opens its own connection: restarts are rare and a connection costs a
few milliseconds, which keeps the adapter free of shared state across threads.

The bus is the system bus for rootful podman (``unix:path=/run/dbus/system_bus_socket``) or
the user's session bus for rootless podman; ``COLIBRI_SYSTEMD_BUS`` may name any address.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from jeepney import (
    DBusAddress,
    DBusErrorResponse,
    MatchRule,
    Properties,
    message_bus,
    new_method_call,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection, unwrap_msg

from colibri.errors import UnitError

__all__ = ["SYSTEM_BUS", "SystemdUnits"]

log = logging.getLogger(__name__)

SYSTEM_BUS = "SYSTEM"
_NAME = "org.freedesktop.systemd1"
_PATH = "/org/freedesktop/systemd1"
_MANAGER = DBusAddress(_PATH, bus_name=_NAME, interface=f"{_NAME}.Manager")
_UNIT_INTERFACE = f"{_NAME}.Unit"


class SystemdUnits:
    """systemd's Manager on one bus."""

    def __init__(self, bus: str = SYSTEM_BUS, *, timeout: float = 90.0) -> None:
        self.bus = bus
        self.timeout = timeout

    def restart(self, unit: str) -> str:
        """Restart ``unit`` (mode ``replace``) and wait for its job: return the job's result
        (``done`` when it succeeded). Raises ``UnitError`` when systemd refuses or the job
        does not end within the timeout."""
        signals = {"type": "signal", "interface": f"{_NAME}.Manager", "member": "JobRemoved"}
        on_bus = MatchRule(sender=_NAME, path=_PATH, **signals)
        # Signals arrive from systemd's unique name (":1.x"), which the local filter cannot
        # compare with the well-known one: the bus filters by sender, the client by the rest.
        local = MatchRule(path=_PATH, **signals)
        with self._connect() as connection:
            _call(connection, message_bus.AddMatch(on_bus), f"watch the jobs of {unit}")
            _call(connection, new_method_call(_MANAGER, "Subscribe"), "subscribe to systemd")
            with connection.filter(local, bufsize=64) as jobs:
                reply = _call(
                    connection,
                    new_method_call(_MANAGER, "RestartUnit", "ss", (unit, "replace")),
                    f"restart {unit}",
                )
                job = str(reply[0])
                log.info("restarting %s (job %s)", unit, job)
                return self._wait(connection, jobs, job, unit)

    def active_state(self, unit: str) -> str:
        """The unit's ``ActiveState`` (``active``, ``failed``, ``activating``...)."""
        with self._connect() as connection:
            [path] = _call(
                connection, new_method_call(_MANAGER, "GetUnit", "s", (unit,)), f"find {unit}"
            )
            address = DBusAddress(str(path), bus_name=_NAME, interface=_UNIT_INTERFACE)
            [value] = _call(
                connection,
                Properties(address).get("ActiveState"),
                f"read the state of {unit}",
            )
            return str(value[1])

    def _wait(self, connection: DBusConnection, jobs: Any, job: str, unit: str) -> str:
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UnitError(f"restart {unit}: its job {job} did not end in {self.timeout:g}s")
            try:
                signal = connection.recv_until_filtered(jobs, timeout=left)
            except TimeoutError:
                continue
            _id, path, name, result = signal.body
            if str(path) == job:
                log.info("job of %s ended: %s", name, result)
                return str(result)

    def _connect(self) -> DBusConnection:
        try:
            return open_dbus_connection(bus=self.bus)
        except (OSError, KeyError, ValueError) as exc:
            raise UnitError(f"cannot reach systemd on the bus {self.bus}: {exc}") from exc


def _call(connection: DBusConnection, message: Any, action: str) -> tuple[Any, ...]:
    try:
        reply = connection.send_and_get_reply(message, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise UnitError(f"{action}: the bus did not answer ({exc})") from exc
    try:
        return tuple(unwrap_msg(reply))
    except DBusErrorResponse as exc:
        raise UnitError(f"{action}: {exc.name}: {' '.join(map(str, exc.data))}") from exc
