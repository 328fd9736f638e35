"""systemd's D-Bus API, for the units that run podman containers."""

from colibri.systemd.units import SYSTEM_BUS, SystemdUnits

__all__ = ["SYSTEM_BUS", "SystemdUnits"]
