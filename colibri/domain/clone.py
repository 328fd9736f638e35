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
  IPs, links and driver options; engine-assigned MAC and IP addresses are not copied.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ClonePlan", "clone_config"]

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
    inspect``'s ``Config``); ``image`` is the reference to record (``name:tag@digest``).
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
    if mode == "host" or generated or not hostname:
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
