"""Podman behind ``domain.ports.Engine``: its Docker-compatible API, with its differences.

``podman system service`` answers the Docker Engine API (version 1.41) and its own libpod API
on the same socket. :func:`colibri.engine.client.connect` recognises it from ``/version``
(a component named ``Podman Engine``) and returns a :class:`PodmanEngine`, which is the Docker
adapter with these differences handled (docs/podman.md lists each one, as measured on 4.3):

- **pull**: the compatible ``/images/create`` ignores TLS options, so a registry on a loopback
  address (plain HTTP, as Docker allows it) cannot be pulled from unless ``registries.conf``
  lists it as insecure. Pulls go through libpod's ``/libpod/images/pull`` instead, with
  ``tlsVerify=false`` only for loopback registries; every other registry is verified, or
  follows ``registries.conf``, exactly as ``podman pull`` would.
- **create**: podman's inspect reports ``--cpus`` both as ``NanoCpus`` and as
  ``CpuPeriod``/``CpuQuota``, and its create refuses both at once; the period/quota pair that
  podman derived is left out. Inspect names ulimits ``RLIMIT_NOFILE``, create wants ``nofile``;
  inspect reports a device's permissions as ``""``, create wants them (``rwm``, the default).
  The compatible inspect leaves ``--log-opt max-size`` out; libpod's has it, and the adapter
  puts it back into the document (podman has no ``max-file``). The ``container=podman`` and
  ``HOSTNAME`` variables podman adds to every container are left out too (podman adds them
  again; a copied ``HOSTNAME`` would be the old container's).
- **references**: podman records a ``name:tag@digest`` reference as ``name@digest`` (which
  would read as pinned at the next check); the new container is created from ``name:tag``,
  once the tag has been checked to name the pulled digest's image.
- **addresses**: podman reports no ``IPAMConfig``, so a static address (``--ip``) cannot be told
  from an assigned one: every network's current address is reported as static (a copy keeps
  it). Podman's MACs are random, so a copy's endpoint takes the MAC of the container holding
  that address on that network (the one being replaced).
- **health**: podman runs health checks from systemd timers; without systemd (a container host
  without it as PID 1) the status stays ``starting`` forever. When a running container's check
  is due and podman's own log shows no recent run, the adapter runs it
  (``/libpod/containers/{id}/healthcheck``, as ``podman healthcheck run`` does). Podman also
  reports an empty ``State.Health`` for containers without a check; it is left out, as Docker
  leaves it out.
- **pods**: containers in a pod share its namespaces and are started and stopped with it;
  a pod's infra container is never listed (it is podman's, not the user's), and a container in
  a pod carries ``Container.pod`` so callers can skip it with the reason.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from colibri.domain.model import Container
from colibri.domain.refs import parse_reference
from colibri.engine.api import EngineAPI, quote_name
from colibri.engine.client import DockerEngine, auth_header
from colibri.errors import EngineConflict, EngineError, EngineNotFound, PullFailed

__all__ = ["LIBPOD", "PodmanEngine", "is_podman", "podman_create_body"]

log = logging.getLogger(__name__)

#: The libpod API prefix; 4.0.0 is the oldest version podman 4 serves under.
LIBPOD = "/v4.0.0/libpod"
DEFAULT_HEALTH_INTERVAL = 30.0
_ADDED_ENV = ("container=podman",)


def is_podman(version: Mapping[str, Any]) -> bool:
    """Whether a ``/version`` document is podman's."""
    components = version.get("Components") or []
    return any(
        isinstance(c, Mapping) and str(c.get("Name") or "") == "Podman Engine" for c in components
    )


class PodmanEngine(DockerEngine):
    """One podman service (see the module docstring)."""

    kind = "podman"

    def __init__(self, api: EngineAPI) -> None:
        super().__init__(api)
        self._health_runs: dict[str, float] = {}
        self._health_lock = threading.Lock()

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        pods = self._pods(include_stopped=include_stopped)
        return [
            replace(container, pod=pods[container.id][0]) if container.id in pods else container
            for container in super().list_containers(include_stopped=include_stopped)
            if not (container.id in pods and pods[container.id][1])
        ]

    def get_container(self, name_or_id: str) -> Container:
        container = super().get_container(name_or_id)
        pods = self._pods(include_stopped=True, container_id=container.id)
        return replace(container, pod=pods[container.id][0]) if container.id in pods else container

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        raw = super().inspect_container(name_or_id)
        if self._health_due(raw):
            self._run_healthcheck(str(raw["Id"]))
            raw = super().inspect_container(str(raw["Id"]))
        return _with_addresses(_without_empty_health(self._with_log_size(raw)))

    def _with_log_size(self, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        """The compatible inspect drops ``--log-opt max-size``; libpod's keeps it as
        ``LogConfig.Size``: put it back where the Docker document has it."""
        host = raw.get("HostConfig") or {}
        log_config = host.get("LogConfig") or {}
        if log_config.get("Config"):
            return raw
        try:
            native = self.api.json(
                "GET",
                f"{LIBPOD}/containers/{quote_name(str(raw['Id']))}/json",
                versioned=False,
                action=f"inspect container {str(raw['Id'])[:12]}",
            )
        except EngineNotFound:
            return raw
        size = str(((native or {}).get("HostConfig") or {}).get("LogConfig", {}).get("Size") or "")
        if not size or size == "-1":
            return raw
        log_config = {**log_config, "Config": {"max-size": size}}
        return {**raw, "HostConfig": {**host, "LogConfig": log_config}}

    def pull(
        self,
        repository: str,
        digest: str,
        *,
        platform: str | None = None,
        auth: Mapping[str, str] | None = None,
    ) -> None:
        """Pull ``repository@digest`` through libpod (see the module docstring)."""
        reference = f"{repository}@{digest}"
        action = f"pull {reference}"
        params: dict[str, str] = {"reference": reference, "policy": "always"}
        if _loopback(repository):
            params["tlsVerify"] = "false"
        if platform:
            os_name, _, rest = platform.partition("/")
            architecture, _, variant = rest.partition("/")
            params.update({"OS": os_name, "Arch": architecture})
            if variant:
                params["Variant"] = variant
        headers = {"X-Registry-Auth": auth_header(auth)} if auth else {}
        pulled = False
        for event in self.api.stream_lines(
            "POST",
            f"{LIBPOD}/images/pull",
            action=action,
            versioned=False,
            params=params,
            headers=headers,
            timeout=None,
        ):
            if isinstance(event, Mapping) and event.get("error"):
                raise PullFailed(f"{action}: {event['error']}")
            if isinstance(event, Mapping) and event.get("id"):
                pulled = True
        if not pulled:
            raise PullFailed(f"{action}: podman ended the pull without naming an image")
        log.info("pulled %s", reference)

    def create_container(self, body: Mapping[str, Any], name: str) -> str:
        fixed = podman_create_body(body)
        fixed["Image"] = self._creatable_reference(str(fixed.get("Image") or ""))
        networking = dict(fixed.get("NetworkingConfig") or {})
        endpoints = networking.get("EndpointsConfig") or {}
        if endpoints:
            networking["EndpointsConfig"] = {
                network: self._with_mac(network, endpoint)
                for network, endpoint in endpoints.items()
            }
            fixed["NetworkingConfig"] = networking
        return super().create_container(fixed, name)

    def connect_network(self, network: str, container_id: str, endpoint: Mapping[str, Any]) -> None:
        """Through libpod: the compatible connect ignores an endpoint's MAC address."""
        endpoint = self._with_mac(network, endpoint)
        ipam = endpoint.get("IPAMConfig") or {}
        options: dict[str, Any] = {"container": container_id}
        if endpoint.get("Aliases"):
            options["aliases"] = list(endpoint["Aliases"])
        addresses = [ipam[key] for key in ("IPv4Address", "IPv6Address") if ipam.get(key)]
        if addresses:
            options["static_ips"] = addresses
        if endpoint.get("MacAddress"):
            options["static_mac"] = endpoint["MacAddress"]
        self.api.send(
            "POST",
            f"{LIBPOD}/networks/{quote_name(network)}/connect",
            versioned=False,
            json=options,
            action=f"connect {container_id[:12]} to network {network}",
        )

    def _with_mac(self, network: str, endpoint: Mapping[str, Any]) -> dict[str, Any]:
        """The endpoint with the MAC address of the container holding its address on
        ``network`` now: the container being replaced (podman assigns random MACs, and a
        copy would otherwise get a new one, even where ``--mac-address`` chose it)."""
        address = str((endpoint.get("IPAMConfig") or {}).get("IPv4Address") or "")
        if not address or endpoint.get("MacAddress"):
            return dict(endpoint)
        try:
            raw = self.api.json(
                "GET", f"/networks/{quote_name(network)}", action=f"inspect network {network}"
            )
        except EngineNotFound:
            return dict(endpoint)
        for attached in ((raw or {}).get("Containers") or {}).values():
            if str(attached.get("IPv4Address") or "").split("/")[0] == address:
                mac = str(attached.get("MacAddress") or "")
                return {**endpoint, "MacAddress": mac} if mac else dict(endpoint)
        return dict(endpoint)

    def _creatable_reference(self, image: str) -> str:
        """Podman keeps only the digest of a ``name:tag@digest`` reference, and a container
        recorded as ``name@digest`` reads as pinned ever after. The tag was pointed at that
        digest's image just before (the update's pull step), so the container is created from
        ``name:tag``, after checking that both still name the same image."""
        ref = parse_reference(image)
        if ref.tag is None or ref.digest is None:
            return image
        by_tag = self.inspect_image_raw(str(ref.with_tag(ref.tag)))
        by_digest = self.inspect_image_raw(str(ref.by_digest(ref.digest)))
        if by_tag is None or by_digest is None or by_tag.get("Id") != by_digest.get("Id"):
            raise EngineError(
                f"create from {image}: podman records only the digest of a reference with "
                f"both, and {ref.with_tag(ref.tag)} no longer names that image"
            )
        return str(ref.with_tag(ref.tag))

    def _pods(
        self, *, include_stopped: bool, container_id: str | None = None
    ) -> dict[str, tuple[str, bool]]:
        """Container ID -> (pod name, is the pod's infra container), for containers in pods."""
        params: dict[str, str] = {"all": str(include_stopped).lower(), "pod": "true"}
        if container_id is not None:
            params["filters"] = json.dumps({"id": [container_id]})
        summaries = self.api.json(
            "GET",
            f"{LIBPOD}/containers/json",
            versioned=False,
            params=params,
            action="list containers and their pods",
        )
        return {
            str(summary["Id"]): (
                str(summary.get("PodName") or summary["Pod"][:12]),
                bool(summary.get("IsInfra")),
            )
            for summary in summaries or []
            if summary.get("Pod")
        }

    def _health_due(self, raw: Mapping[str, Any]) -> bool:
        state = raw.get("State") or {}
        health = state.get("Health")
        interval = _health_interval(raw)
        if not state.get("Running") or not isinstance(health, Mapping) or interval is None:
            return False
        last_logged = _last_health_run(health)
        now = time.time()
        if last_logged is not None and now - last_logged < interval:
            return False  # podman's own timers run it
        with self._health_lock:
            ran = self._health_runs.get(str(raw["Id"]))
            if ran is not None and time.monotonic() - ran < interval:
                return False
            self._health_runs[str(raw["Id"])] = time.monotonic()
        return True

    def _run_healthcheck(self, container_id: str) -> None:
        try:
            self.api.json(
                "GET",
                f"{LIBPOD}/containers/{quote_name(container_id)}/healthcheck",
                versioned=False,
                action=f"run the health check of {container_id[:12]}",
            )
        except (EngineConflict, EngineNotFound):
            pass  # stopped or removed meanwhile: the next inspect says so
        except EngineError as exc:
            log.warning("health check of %s could not run: %s", container_id[:12], exc)


def podman_create_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """A create body podman accepts for what its inspect reported (module docstring)."""
    fixed = dict(body)
    host = dict(fixed.get("HostConfig") or {})
    if host.get("NanoCpus"):
        host.pop("CpuPeriod", None)
        host.pop("CpuQuota", None)
    if host.get("Ulimits"):
        host["Ulimits"] = [_create_ulimit(limit) for limit in host["Ulimits"]]
    if host.get("Devices"):
        host["Devices"] = [
            {**device, "CgroupPermissions": device.get("CgroupPermissions") or "rwm"}
            for device in host["Devices"]
        ]
    fixed["HostConfig"] = host
    if fixed.get("Env"):
        fixed["Env"] = [
            entry
            for entry in fixed["Env"]
            if entry not in _ADDED_ENV and not str(entry).startswith("HOSTNAME=")
        ]
    return fixed


def _with_addresses(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """Podman reports no ``IPAMConfig``: whether an address was asked for (``--ip``) is not
    known. Every network's current address is reported as asked for, so a copy keeps it (a
    dynamic one becomes fixed)."""
    settings = raw.get("NetworkSettings") or {}
    networks = settings.get("Networks") or {}
    if not networks:
        return raw
    fixed: dict[str, Any] = {}
    for name, endpoint in networks.items():
        ipam = dict(endpoint.get("IPAMConfig") or {})
        if endpoint.get("IPAddress") and not ipam.get("IPv4Address"):
            ipam["IPv4Address"] = endpoint["IPAddress"]
        if endpoint.get("GlobalIPv6Address") and not ipam.get("IPv6Address"):
            ipam["IPv6Address"] = endpoint["GlobalIPv6Address"]
        fixed[name] = {**endpoint, "IPAMConfig": ipam or None}
    return {**raw, "NetworkSettings": {**settings, "Networks": fixed}}


def _without_empty_health(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """Podman reports ``State.Health`` (status ``""``) for a container without any health
    check, where Docker reports none; such a container must not be waited on for ``healthy``."""
    state = raw.get("State") or {}
    if _health_interval(raw) is not None or "Health" not in state:
        return raw
    return {**raw, "State": {key: value for key, value in state.items() if key != "Health"}}


def _create_ulimit(limit: Mapping[str, Any]) -> dict[str, Any]:
    """Inspect says ``RLIMIT_NOFILE``, create wants ``nofile``."""
    name = str(limit.get("Name") or "")
    if name.upper().startswith("RLIMIT_"):
        name = name[len("RLIMIT_") :].lower()
    return {**limit, "Name": name}


def _health_interval(raw: Mapping[str, Any]) -> float | None:
    """Seconds between health checks, or ``None`` when the container has none."""
    check = (raw.get("Config") or {}).get("Healthcheck") or {}
    test = check.get("Test") or []
    if not test or test[0] == "NONE":
        return None
    nanoseconds = check.get("Interval") or 0
    return max(1.0, nanoseconds / 1e9) if nanoseconds else DEFAULT_HEALTH_INTERVAL


def _last_health_run(health: Mapping[str, Any]) -> float | None:
    entries = health.get("Log") or []
    if not entries:
        return None
    return _timestamp(str(entries[-1].get("End") or entries[-1].get("Start") or ""))


def _timestamp(text: str) -> float | None:
    """Podman's RFC 3339 times carry nanoseconds; Python reads up to microseconds."""
    if not text:
        return None
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _loopback(repository: str) -> bool:
    host = urlsplit(f"//{repository.split('/', 1)[0]}").hostname or ""
    return host == "localhost" or host == "::1" or host.startswith("127.")
