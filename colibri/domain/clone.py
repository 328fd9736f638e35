"""The new container's create body, from the old container and the old and new images.

Three inputs: the old container's ``docker inspect``, the old image's ``Config`` and the new
image's ``Config``. What the user set is kept; what only came from the old image's defaults is
left out, so the new image's defaults apply (the daemon merges image defaults at create):

- ``Env`` entries equal to an old image entry, ``Labels`` equal to an old image label,
  ``ExposedPorts`` and ``Volumes`` the old image declared: dropped;
- ``Cmd``, ``Entrypoint``, ``Healthcheck``, ``WorkingDir``, ``User``, ``StopSignal``: dropped
  when equal to the old image's. An overridden entrypoint makes Docker ignore the image's
  ``Cmd``, so in that case ``Cmd`` is always the user's and is kept;
- ``Hostname`` dropped when it is the daemon's default (the old container's short ID);
- ``HostConfig`` kept whole, except daemon-filled defaults (masked and read-only paths) and
  ``Links`` rewritten from inspect form (``/a:/b/alias``) to create form (``a:alias``);
- anonymous volumes are re-attached by name (added to ``HostConfig.Mounts`` as volume
  mounts, which Docker reports exactly like the anonymous mount), so their data survives;
- networks: the primary one goes in the create body (API < 1.44 accepts one), the others are
  connected before start, each with its aliases (minus the old short ID the daemon added), static
  IPs, links and driver options; engine-assigned IP addresses are not copied;
- MAC addresses the user set are kept, per network; those the engine assigned are not (see
  :func:`user_macs`);
- ``Hostname`` dropped with ``UTSMode=host`` (the daemon refuses both, and reports the host's
  name there) and with a network mode that shares another namespace (``host``,
  ``container:x``), as is ``MacAddress``;
- ``Image`` is the reference the caller gives: the user's own (:func:`recorded_reference`), so
  that ``docker ps``, compose and other tools still see the tag the user wrote.

Which MAC addresses are the user's. Before API 1.44 a MAC could only be set for the container
as a whole (``docker run --mac-address``): it is ``Config.MacAddress`` and applies to the
primary network. From API 1.44 it is set per network (``EndpointSettings.MacAddress`` at create
and connect), and inspect reports each endpoint's MAC without saying who chose it (the
container-wide field is deprecated, and still filled in by daemons asked at an older API
version). The bridge and overlay drivers derive the MAC they assign from the endpoint's IPv4
address (``02:42:`` followed by its four bytes); a daemon clears an assigned MAC when the
container stops and keeps a configured one. So an endpoint's MAC is the user's when it is set
and is not the one derived from that endpoint's IPv4 address; ``Config.MacAddress`` is the
user's for the primary network. Where the two cannot be told apart (a driver that assigns
random MACs), the MAC is kept: keeping one the engine chose is harmless, losing the user's is
not, and a derived one is never kept, since after another IP it would belong to another
container. The create body carries the primary network's MAC both container-wide and on its
endpoint (a daemon at API 1.44 or later takes the endpoint's, an older one the other and
ignores the endpoint's); the other networks' MACs go with their connect.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.refs import parse_reference

__all__ = [
    "ClonePlan",
    "clone_config",
    "created_image_problem",
    "engine_assigned_mac",
    "recorded_reference",
    "user_macs",
]

Json = dict[str, Any]

_IMAGE_DEFAULT_FIELDS = ("Healthcheck", "WorkingDir", "User", "StopSignal", "Entrypoint")
_DROPPED_CONFIG_FIELDS = ("Image", "OnBuild", "Shell", "ArgsEscaped")
_ANONYMOUS_VOLUME = re.compile(r"[0-9a-f]{64}")
_SHARED_NETNS = ("host", "none")


@dataclass(frozen=True)
class ClonePlan:
    """How to create the new container.

    ``body`` is the ``POST /containers/create`` document; ``networks`` the endpoint settings of
    the networks to connect after create and before start; ``anonymous_volumes`` the volume
    names re-attached by name.
    """

    body: Json
    networks: Mapping[str, Json] = field(default_factory=dict)
    anonymous_volumes: tuple[str, ...] = ()


def clone_config(
    inspect: Mapping[str, Any],
    old_image: Mapping[str, Any],
    new_image: Mapping[str, Any],
    *,
    image: str,
) -> ClonePlan:
    """Build the create plan for a copy of ``inspect`` running ``image``.

    ``old_image`` and ``new_image`` are the images' ``Config`` sections (``docker image
    inspect``'s ``Config``); ``image`` is the reference to record (:func:`recorded_reference`).
    """
    old_defaults = old_image or {}
    config = _user_config(inspect, old_defaults)
    host_config = _host_config(inspect)
    anonymous = _anonymous_volumes(inspect, host_config)
    if anonymous:
        mounts = list(host_config.get("Mounts") or [])
        mounts.extend(
            {"Type": "volume", "Source": name, "Target": destination, "ReadOnly": read_only}
            for name, destination, read_only in anonymous
        )
        host_config["Mounts"] = mounts
    _keep_published_ports_exposed(config, host_config)
    primary, others = _networks(inspect, host_config)
    config.pop("MacAddress", None)
    for endpoint in primary.values():
        if endpoint.get("MacAddress"):
            config["MacAddress"] = endpoint["MacAddress"]
    body: Json = {**config, "Image": image, "HostConfig": host_config}
    body["NetworkingConfig"] = {"EndpointsConfig": primary}
    _ = new_image  # the daemon applies the new image's defaults itself
    return ClonePlan(body, others, tuple(name for name, _, _ in anonymous))


def _user_config(inspect: Mapping[str, Any], old: Mapping[str, Any]) -> Json:
    config: Json = copy.deepcopy(dict(inspect.get("Config") or {}))
    for key in _DROPPED_CONFIG_FIELDS:
        config.pop(key, None)
    entrypoint_overridden = config.get("Entrypoint") != old.get("Entrypoint")
    for key in _IMAGE_DEFAULT_FIELDS:
        if key in config and config[key] == old.get(key):
            config.pop(key)
    if not entrypoint_overridden and config.get("Cmd") == old.get("Cmd"):
        config.pop("Cmd", None)
    config["Env"] = _without(config.get("Env"), old.get("Env"))
    config["Labels"] = {
        key: value
        for key, value in (config.get("Labels") or {}).items()
        if (old.get("Labels") or {}).get(key) != value
    }
    config["ExposedPorts"] = _minus_keys(config.get("ExposedPorts"), old.get("ExposedPorts"))
    config["Volumes"] = _minus_keys(config.get("Volumes"), old.get("Volumes"))
    _drop_default_hostname(config, inspect)
    return config


def _without(values: Sequence[str] | None, defaults: Sequence[str] | None) -> list[str]:
    image_values = set(defaults or ())
    return [value for value in values or () if value not in image_values]


def _minus_keys(values: Mapping[str, Any] | None, defaults: Mapping[str, Any] | None) -> Json:
    return {key: value for key, value in (values or {}).items() if key not in (defaults or {})}


def _drop_default_hostname(config: Json, inspect: Mapping[str, Any]) -> None:
    """Leave out what the network mode forbids or the daemon generated."""
    mode = str((inspect.get("HostConfig") or {}).get("NetworkMode") or "")
    if mode.startswith("container:"):
        for key in ("Hostname", "Domainname", "MacAddress", "ExposedPorts"):
            config.pop(key, None)
        return
    hostname = str(config.get("Hostname") or "")
    generated = len(hostname) == 12 and str(inspect.get("Id") or "").startswith(hostname)
    uts_host = (inspect.get("HostConfig") or {}).get("UTSMode") == "host"
    if mode == "host" or uts_host or generated or not hostname:
        config.pop("Hostname", None)


def _host_config(inspect: Mapping[str, Any]) -> Json:
    host: Json = copy.deepcopy(dict(inspect.get("HostConfig") or {}))
    for key in ("MaskedPaths", "ReadonlyPaths"):
        if host.get(key):  # the daemon's defaults; an explicit empty list is the user's
            host.pop(key)
    host["Links"] = [_create_link(link) for link in host.get("Links") or []] or None
    return host


def _create_link(link: str) -> str:
    """``/db:/web/database`` (inspect) -> ``db:database`` (create)."""
    source, _, alias = link.partition(":")
    return f"{source.lstrip('/')}:{alias.rsplit('/', 1)[-1]}" if alias else source.lstrip("/")


def _anonymous_volumes(
    inspect: Mapping[str, Any], host_config: Mapping[str, Any]
) -> list[tuple[str, str, bool]]:
    """Volumes Docker created without a name (image VOLUME or ``-v /path``): name,
    destination and whether it is read-only."""
    explicit = {str(mount.get("Target") or "") for mount in host_config.get("Mounts") or []} | {
        bind.split(":")[1] for bind in host_config.get("Binds") or [] if ":" in bind
    }
    found = []
    for mount in inspect.get("Mounts") or []:
        name = str(mount.get("Name") or "")
        destination = str(mount.get("Destination") or "")
        if mount.get("Type") != "volume" or not _ANONYMOUS_VOLUME.fullmatch(name):
            continue
        if destination in explicit:
            continue
        found.append((name, destination, not mount.get("RW", True)))
    return found


def _keep_published_ports_exposed(config: Json, host_config: Mapping[str, Any]) -> None:
    """A published port stays exposed even if the image stopped declaring it."""
    if "ExposedPorts" not in config:
        return
    for port in host_config.get("PortBindings") or {}:
        config["ExposedPorts"].setdefault(port, {})


def _networks(inspect: Mapping[str, Any], host_config: Mapping[str, Any]) -> tuple[Json, Json]:
    """Endpoint configs: the primary network (for create) and the rest (connected later)."""
    mode = str(host_config.get("NetworkMode") or "default")
    if mode in _SHARED_NETNS or mode.startswith("container:"):
        return {}, {}
    attached = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    short_id = str(inspect.get("Id") or "")[:12]
    endpoints = {name: _endpoint(settings, short_id) for name, settings in attached.items()}
    for name, mac in user_macs(inspect).items():
        endpoints[name]["MacAddress"] = mac
    primary_name = mode if mode in endpoints else ("bridge" if mode == "default" else None)
    if primary_name not in endpoints:
        primary_name = next(iter(endpoints), None)
    if primary_name is None:
        return {}, {}
    primary = {primary_name: endpoints.pop(primary_name)}
    return primary, endpoints


def _endpoint(settings: Mapping[str, Any], short_id: str) -> Json:
    endpoint: Json = {}
    ipam = {key: value for key, value in (settings.get("IPAMConfig") or {}).items() if value}
    if ipam:
        endpoint["IPAMConfig"] = ipam
    aliases = [alias for alias in settings.get("Aliases") or [] if alias != short_id]
    if aliases:
        endpoint["Aliases"] = aliases
    for key in ("Links", "DriverOpts"):
        if settings.get(key):
            endpoint[key] = copy.deepcopy(settings[key])
    return endpoint


def user_macs(inspect: Mapping[str, Any]) -> dict[str, str]:
    """The MAC address the user set on each network of the container, by network name (the
    module docstring says how they are told from those the engine assigned)."""
    host_config = inspect.get("HostConfig") or {}
    mode = str(host_config.get("NetworkMode") or "default")
    if mode in _SHARED_NETNS or mode.startswith("container:"):
        return {}
    attached = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    found = {
        name: str(settings["MacAddress"]).lower()
        for name, settings in attached.items()
        if settings.get("MacAddress") and not engine_assigned_mac(settings)
    }
    container_wide = str((inspect.get("Config") or {}).get("MacAddress") or "").lower()
    primary = mode if mode in attached else ("bridge" if mode == "default" else "")
    if container_wide and primary in attached:
        found[primary] = container_wide
    return found


def engine_assigned_mac(settings: Mapping[str, Any]) -> bool:
    """True when an endpoint's MAC is the one the engine derives from its IPv4 address."""
    mac = str(settings.get("MacAddress") or "").lower()
    addresses = {
        str(settings.get("IPAddress") or ""),
        str((settings.get("IPAMConfig") or {}).get("IPv4Address") or ""),
    }
    return any(mac == _derived_mac(address) for address in addresses if address)


def _derived_mac(ipv4: str) -> str:
    parts = ipv4.split(".")
    if len(parts) != 4 or not all(part.isdigit() and int(part) < 256 for part in parts):
        return ""
    return "02:42:" + ":".join(f"{int(part):02x}" for part in parts)


def recorded_reference(written: str, tag: str | None, digest: str | None = None) -> str:
    """The reference to create the new container with: the one the user wrote (``written``,
    the old ``Config.Image``) spelled as they spelled it, at ``tag`` (a newer version tag, or
    the tag it had) and, only when the user pinned a digest too, at ``digest``.

    ``nginx:1.27`` stays ``nginx:1.27``; with a version policy ``nginx:1.28``;
    ``localhost:5000/app`` (tag ``latest`` implied) stays as written; ``app:1@sha256:old``
    becomes ``app:1@sha256:new``. ``BadReference`` when ``written`` does not parse."""
    ref = parse_reference(written)
    name = written.partition("@")[0] if ref.digest else written
    if ref.tag is not None:
        name = name[: -len(ref.tag) - 1]
    text = name
    if tag is not None and (tag != ref.tracked_tag or ref.tag is not None):
        text += f":{tag}"
    if ref.digest is not None and digest is not None:
        text += f"@{digest}"
    elif ref.digest is not None:
        text += f"@{ref.digest}"
    return text


def created_image_problem(created: Mapping[str, Any], image_id: str) -> str | None:
    """Why the created container (its ``docker inspect``) is not running the image that was
    pulled and gated (``image_id``), or ``None`` when it is. Creating by the user's tag lets
    the daemon resolve the tag; this is the proof that what was checked is what runs."""
    running = str(created.get("Image") or "")
    if running and running == image_id:
        return None
    reference = (created.get("Config") or {}).get("Image")
    return (
        f"the new container runs image {running or 'unknown'} for {reference!r}, not the "
        f"pulled and checked {image_id}: the tag moved in between"
    )
