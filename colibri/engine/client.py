"""The Docker Engine adapter behind ``domain.ports.Engine``.

Raw documents come in from the daemon and are turned into domain values here; every transport
or daemon failure is translated into ``colibri.errors`` by :mod:`colibri.engine.api`.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from colibri.domain.environments import TlsFiles
from colibri.domain.hooks import HookResult
from colibri.domain.model import Container, LocalImage, Platform, digests_of
from colibri.domain.refs import is_image_id
from colibri.engine.api import DEFAULT_HOST, EngineAPI, open_api, quote_name
from colibri.engine.exec import run_exec
from colibri.errors import EngineNotFound, PullFailed

__all__ = ["DockerEngine", "auth_header", "connect", "container_from_inspect"]

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 30.0
UNKNOWN_STOP_WAIT = 300.0  # the container's own StopTimeout is not known to the caller
#: A pull may take long, but the daemon sends progress often: 5 minutes of silence is a hang.
PULL_TIMEOUT = httpx.Timeout(60.0, read=300.0)


def connect(
    host: str | None = None,
    *,
    timeout: float = 60.0,
    pool_size: int = 10,
    tls: TlsFiles | None = None,
) -> DockerEngine:
    """Connect to the daemon at ``host`` (else ``DOCKER_HOST``, else the local socket) and
    negotiate the API version; ``tls`` is a ``tcp://`` host's own TLS material. A podman
    service (its Docker-compatible API) gets the podman adapter."""
    from colibri.engine.podman import PodmanEngine, is_podman

    api = open_api(host, timeout=timeout, pool_size=pool_size, tls=tls)
    if is_podman(api.server):
        return PodmanEngine(api)
    return DockerEngine(api)


class DockerEngine:
    """One Docker daemon."""

    kind = "docker"

    def __init__(self, api: EngineAPI) -> None:
        self.api = api
        self.host = api.host or DEFAULT_HOST

    def close(self) -> None:
        self.api.close()

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        summaries = self.api.json(
            "GET",
            "/containers/json",
            params={"all": int(include_stopped)},
            action="list containers",
        )
        return [self._from_summary(summary) for summary in summaries or []]

    def get_container(self, name_or_id: str) -> Container:
        return container_from_inspect(self.inspect_container(name_or_id))

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        path = f"/containers/{quote_name(name_or_id)}/json"
        return dict(self.api.json("GET", path, action=f"inspect container {name_or_id}"))

    def inspect_image(self, name_or_id: str) -> LocalImage | None:
        raw = self.inspect_image_raw(name_or_id)
        return image_from_inspect(raw) if raw is not None else None

    def inspect_image_raw(self, name_or_id: str) -> Mapping[str, Any] | None:
        """The raw ``docker image inspect`` document, or ``None`` when there is no such image."""
        path = f"/images/{quote_name(name_or_id)}/json"
        try:
            return dict(self.api.json("GET", path, action=f"inspect image {name_or_id}"))
        except EngineNotFound:
            return None

    def pull(
        self,
        repository: str,
        digest: str,
        *,
        platform: str | None = None,
        auth: Mapping[str, str] | None = None,
    ) -> None:
        """Pull ``repository@digest`` and read the whole progress stream: the daemon reports
        failures inside an HTTP 200 stream (docs/registry.md P2), which raise ``PullFailed``."""
        action = f"pull {repository}@{digest}"
        params = {"fromImage": repository, "tag": digest}
        if platform:
            params["platform"] = platform
        headers = {"X-Registry-Auth": auth_header(auth)} if auth else {}
        for event in self.api.stream_lines(
            "POST",
            "/images/create",
            action=action,
            params=params,
            headers=headers,
            timeout=None,
        ):
            if isinstance(event, Mapping) and (event.get("error") or event.get("errorDetail")):
                detail = event.get("error") or (event.get("errorDetail") or {}).get("message")
                raise PullFailed(f"{action}: {detail}")
        log.info("pulled %s@%s", repository, digest)

    def tag_image(self, image_id: str, repository: str, tag: str) -> None:
        self.api.send(
            "POST",
            f"/images/{quote_name(image_id)}/tag",
            params={"repo": repository, "tag": tag},
            action=f"tag {image_id} as {repository}:{tag}",
        )

    def create_container(self, body: Mapping[str, Any], name: str) -> str:
        """Create from a raw create body; return the new container's ID."""
        created = self.api.json(
            "POST",
            "/containers/create",
            params={"name": name},
            json=dict(body),
            action=f"create container {name}",
        )
        return str(created["Id"])

    def connect_network(self, network: str, container_id: str, endpoint: Mapping[str, Any]) -> None:
        self.api.send(
            "POST",
            f"/networks/{quote_name(network)}/connect",
            json={"Container": container_id, "EndpointConfig": dict(endpoint)},
            action=f"connect {container_id[:12]} to network {network}",
        )

    def rename_container(self, container_id: str, name: str) -> None:
        self.api.send(
            "POST",
            f"/containers/{quote_name(container_id)}/rename",
            params={"name": name},
            action=f"rename {container_id[:12]} to {name}",
        )
        log.info("renamed %s to %s", container_id[:12], name)

    def stop_container(self, container_id: str, timeout: int | None = None) -> None:
        """Stop with the container's own stop signal, after ``timeout`` seconds SIGKILL
        (default: the container's StopTimeout, else the daemon's 10 s)."""
        params = {"t": timeout} if timeout is not None else {}
        self.api.send(
            "POST",
            f"/containers/{quote_name(container_id)}/stop",
            params=params,
            action=f"stop {container_id[:12]}",
            timeout=_grace(timeout),
        )
        log.info("stopped %s", container_id[:12])

    def start_container(self, container_id: str) -> None:
        self.api.send(
            "POST",
            f"/containers/{quote_name(container_id)}/start",
            action=f"start {container_id[:12]}",
        )
        log.info("started %s", container_id[:12])

    def restart_container(self, container_id: str, timeout: int | None = None) -> None:
        params = {"t": timeout} if timeout is not None else {}
        self.api.send(
            "POST",
            f"/containers/{quote_name(container_id)}/restart",
            params=params,
            action=f"restart {container_id[:12]}",
            timeout=_grace(timeout),
        )
        log.info("restarted %s", container_id[:12])

    def remove_container(self, container_id: str, *, force: bool = False) -> None:
        """Remove a container; its volumes, anonymous ones included, are kept."""
        self.api.send(
            "DELETE",
            f"/containers/{quote_name(container_id)}",
            params={"force": int(force), "v": 0},
            action=f"remove container {container_id[:12]}",
        )
        log.info("removed container %s", container_id[:12])

    def remove_image(self, image: str) -> None:
        """Remove an image reference (tag or digest reference) or an image by ID."""
        self.api.send(
            "DELETE",
            f"/images/{quote_name(image)}",
            params={"noprune": 0},
            action=f"remove image {image[:80]}",
        )
        log.info("removed image %s", image[:80])

    def exec_in(self, container_id: str, argv: Sequence[str], timeout: float) -> HookResult:
        """Run ``argv`` in the running container (``docker exec``), within ``timeout`` s."""
        return run_exec(self.api, container_id, argv, timeout)

    def containers_using_image(self, image_id: str) -> list[str]:
        """IDs of every container (any state) created from ``image_id``."""
        summaries = self.api.json(
            "GET",
            "/containers/json",
            params={"all": 1, "filters": json.dumps({"ancestor": [image_id]})},
            action=f"list containers of image {image_id[:19]}",
        )
        return [str(s["Id"]) for s in summaries or [] if s.get("ImageID") == image_id]

    def _from_summary(self, summary: Mapping[str, Any]) -> Container:
        """A container from ``docker ps`` data, inspecting it only when the list hides its
        reference (the daemon shows the image ID once the tag has moved to another image)."""
        image = str(summary.get("Image") or "")
        image_id = str(summary.get("ImageID") or "")
        if not image or image == image_id or is_image_id(image, image_id):
            try:
                return self.get_container(str(summary["Id"]))
            except EngineNotFound:
                pass  # removed meanwhile: keep what the list said
        return Container(
            id=str(summary["Id"]),
            name=_primary_name(summary.get("Names") or []),
            config_image=image,
            image_id=image_id,
            labels=dict(summary.get("Labels") or {}),
            state=str(summary.get("State") or ""),
            network_mode=str((summary.get("HostConfig") or {}).get("NetworkMode") or ""),
            reference_current=True,
        )


def container_from_inspect(raw: Mapping[str, Any]) -> Container:
    """A container from its ``docker inspect`` document."""
    config = raw.get("Config") or {}
    state = raw.get("State") or {}
    return Container(
        id=str(raw["Id"]),
        name=str(raw.get("Name") or "").lstrip("/"),
        config_image=str(config.get("Image") or ""),
        image_id=str(raw.get("Image") or ""),
        labels=dict(config.get("Labels") or {}),
        state=str(state.get("Status") or ""),
        network_mode=str((raw.get("HostConfig") or {}).get("NetworkMode") or ""),
    )


def image_from_inspect(raw: Mapping[str, Any]) -> LocalImage:
    """An image from its ``docker image inspect`` document (docs/registry.md C2)."""
    repo_digests = tuple(str(d) for d in raw.get("RepoDigests") or ())
    digests = set(digests_of(repo_digests))
    descriptor = raw.get("Descriptor") or {}
    if isinstance(descriptor, Mapping) and descriptor.get("digest"):
        digests.add(str(descriptor["digest"]))
    platform = None
    if raw.get("Architecture"):
        platform = Platform(
            os=str(raw.get("Os") or "linux"),
            architecture=str(raw["Architecture"]),
            variant=str(raw["Variant"]) if raw.get("Variant") else None,
            os_version=str(raw["OsVersion"]) if raw.get("OsVersion") else None,
        )
    return LocalImage(
        id=str(raw["Id"]),
        digests=frozenset(digests),
        repo_digests=repo_digests,
        repo_tags=tuple(str(t) for t in raw.get("RepoTags") or ()),
        platform=platform,
    )


def _primary_name(names: list[str]) -> str:
    """The container's own name: the one entry without a link path (``/a``, not ``/b/a``)."""
    plain = [n.lstrip("/") for n in names if n.count("/") <= 1]
    return plain[0] if plain else (names[0].lstrip("/") if names else "")


def auth_header(auth: Mapping[str, str]) -> str:
    """``X-Registry-Auth``: base64url JSON of the credentials, as the Engine API expects."""
    return base64.urlsafe_b64encode(json.dumps(dict(auth)).encode()).decode()


def _grace(timeout: int | None) -> float:
    """How long to wait for a stop: the container's own timeout plus a margin."""
    return float(timeout) + STOP_GRACE_SECONDS if timeout is not None else UNKNOWN_STOP_WAIT
