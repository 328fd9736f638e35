"""Where a ``colibri.probe`` dials: the service where it really is, or a reason it cannot.

Colibri runs the probe from its own process. What it dials depends on the container's network
mode and on where the daemon is:

* on a bridge or user network of a local daemon: the container's first IP address, port as
  written;
* on a remote daemon (``tcp://host:2376``, ``ssh://user@host``) the container's addresses are
  on that host's bridges, out of reach: the port must be published, and the probe dials the
  published port on the daemon's host (or on the address it is published on); a port
  published on the remote host's loopback only cannot be reached;
* ``network_mode: host``: the service listens on the host itself: loopback for a local
  daemon, the daemon's host for a remote one;
* ``network_mode: container:x``: the service is in ``x``'s network namespace, reached as ``x``
  is (one level; ``x`` itself sharing another's namespace is followed no further);
* ``network_mode: none``: nothing can reach it; the probe label is refused.

:func:`probe_problem` says at check time, from the labels and the network mode, why a probe
cannot work; :func:`probe_target` decides the address at verify time from ``docker inspect``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from colibri.domain.health import PROBE_LABEL, Probe, parse_probe
from colibri.errors import ConfigError

__all__ = ["ProbeTarget", "probe_problem", "probe_target", "remote_host"]

LOOPBACK = "127.0.0.1"
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 (addresses read, not bound)
_LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """The address and port to dial; ``why`` says how they were found (for messages)."""

    host: str
    port: int
    why: str


def remote_host(engine_host: str) -> str | None:
    """The host of a remote daemon (``tcp://h:2376``, ``ssh://u@h``), ``None`` for a local
    socket (``unix://``, ``npipe://``) or an empty value."""
    parts = urlsplit(engine_host)
    if parts.scheme in {"tcp", "ssh", "http", "https"} and parts.hostname:
        return None if parts.hostname in _LOOPBACK_ADDRESSES else parts.hostname
    return None


def probe_problem(labels: Mapping[str, str], network_mode: str) -> str | None:
    """Why the container's probe label cannot work, known before any update, or ``None``."""
    if PROBE_LABEL not in labels:
        return None
    try:
        parse_probe(labels[PROBE_LABEL])
    except ConfigError as exc:
        return str(exc)
    if network_mode == "none":
        return f"label {PROBE_LABEL}: the container has network_mode none, nothing can reach it"
    return None


def probe_target(
    inspect: Mapping[str, Any],
    probe: Probe,
    *,
    remote: str | None = None,
    owner: Mapping[str, Any] | None = None,
) -> ProbeTarget:
    """Where to dial ``probe`` for the container ``inspect`` describes; ``remote`` is the
    daemon's host when it is remote, ``owner`` the inspect of the container whose network
    namespace it shares (``container:x``). ``ConfigError`` saying why when nothing can reach
    it."""
    mode = str((inspect.get("HostConfig") or {}).get("NetworkMode") or "default")
    if mode.startswith("container:"):
        if owner is None:
            raise ConfigError(f"probe {probe}: the container whose network it shares is gone")
        if str((owner.get("HostConfig") or {}).get("NetworkMode") or "").startswith("container:"):
            raise ConfigError(f"probe {probe}: its network namespace is shared twice over")
        return probe_target(owner, probe, remote=remote)
    if mode == "none":
        raise ConfigError(f"probe {probe}: the container has network_mode none")
    if mode == "host":
        host = remote or LOOPBACK
        return ProbeTarget(host, probe.port, f"host network, on {host}")
    if remote is not None:
        return _published(inspect, probe, remote)
    address = _first_address(inspect)
    if not address:
        raise ConfigError(f"probe {probe}: the container has no IP address")
    return ProbeTarget(address, probe.port, f"container address {address}")


def _published(inspect: Mapping[str, Any], probe: Probe, remote: str) -> ProbeTarget:
    ports = (inspect.get("NetworkSettings") or {}).get("Ports") or {}
    bindings = ports.get(f"{probe.port}/tcp") or []
    for binding in bindings:
        address = str(binding.get("HostIp") or "")
        if address in _LOOPBACK_ADDRESSES or not binding.get("HostPort"):
            continue
        host = remote if address in _ANY_ADDRESS else address
        port = int(binding["HostPort"])
        return ProbeTarget(host, port, f"port {probe.port} published as {host}:{port}")
    if bindings:
        raise ConfigError(
            f"probe {probe}: port {probe.port} is published on {remote}'s loopback only, "
            "which Colibri cannot reach from here"
        )
    raise ConfigError(
        f"probe {probe}: the daemon is remote ({remote}) and port {probe.port}/tcp is not "
        "published, so the container cannot be reached from here (publish it)"
    )


def _first_address(inspect: Mapping[str, Any]) -> str:
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    for settings in networks.values():
        if settings.get("IPAddress"):
            return str(settings["IPAddress"])
    return ""
