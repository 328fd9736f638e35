"""The Docker Engine adapter: the low-level Docker SDK client behind ``domain.ports.Engine``.

Raw dictionaries come in from the daemon and are turned into domain values here; every SDK or
transport exception is translated into ``colibri.errors`` at this boundary (see
:mod:`colibri.engine.errors`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import docker
from docker.utils import kwargs_from_env

from colibri.domain.model import Container, LocalImage, Platform, digests_of
from colibri.domain.refs import is_image_id
from colibri.engine.errors import translate
from colibri.errors import EngineNotFound, PullFailed

__all__ = ["DockerEngine", "connect"]

log = logging.getLogger(__name__)

DEFAULT_HOST = "unix:///var/run/docker.sock"


def connect(host: str | None = None, *, timeout: float = 60.0, pool_size: int = 10) -> DockerEngine:
    """Connect to the daemon at ``host`` (else ``DOCKER_HOST``, else the local socket).

    TLS settings come from ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH`` as for the docker CLI;
    ``ssh://`` hosts go through the system's ssh client. The API version is negotiated.
    """
    kwargs: dict[str, Any] = dict(kwargs_from_env())
    if host:
        kwargs["base_url"] = host
    kwargs.setdefault("base_url", DEFAULT_HOST)
    with translate(f"connect to the Docker daemon at {kwargs['base_url']}"):
        api = docker.APIClient(
            version="auto",
            timeout=int(timeout),
            max_pool_size=pool_size,
            use_ssh_client=str(kwargs["base_url"]).startswith("ssh://"),
            **kwargs,
        )
    return DockerEngine(api, host=str(kwargs["base_url"]))


class DockerEngine:
    """One Docker daemon, through the SDK's low-level ``APIClient``."""

    def __init__(self, api: docker.APIClient, *, host: str = DEFAULT_HOST) -> None:
        self.api = api
        self.host = host

    def close(self) -> None:
        self.api.close()

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        with translate("list containers"):
            summaries = self.api.containers(all=include_stopped)
        return [self._from_summary(summary) for summary in summaries]

    def get_container(self, name_or_id: str) -> Container:
        return container_from_inspect(self.inspect_container(name_or_id))

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        with translate(f"inspect container {name_or_id}"):
            return dict(self.api.inspect_container(name_or_id))

    def inspect_image(self, name_or_id: str) -> LocalImage | None:
        try:
            with translate(f"inspect image {name_or_id}"):
                raw = self.api.inspect_image(name_or_id)  # type: ignore[no-untyped-call]
        except EngineNotFound:
            return None
        return image_from_inspect(raw)

    def inspect_image_raw(self, name_or_id: str) -> Mapping[str, Any] | None:
        """The raw ``docker image inspect`` document, or ``None`` when there is no such image."""
        try:
            with translate(f"inspect image {name_or_id}"):
                return dict(self.api.inspect_image(name_or_id))  # type: ignore[no-untyped-call]
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
        failures inside an HTTP 200 stream (registry-spec P2), which raise ``PullFailed``."""
        action = f"pull {repository}@{digest}"
        with translate(action):
            stream = self.api.pull(
                repository,
                tag=digest,
                platform=platform,
                stream=True,
                decode=True,
                auth_config=dict(auth) if auth else None,
            )
            for event in stream:
                if isinstance(event, Mapping) and (event.get("error") or event.get("errorDetail")):
                    detail = event.get("error") or (event.get("errorDetail") or {}).get("message")
                    raise PullFailed(f"{action}: {detail}")
        log.info("pulled %s@%s", repository, digest)

    def tag_image(self, image_id: str, repository: str, tag: str) -> None:
        with translate(f"tag {image_id} as {repository}:{tag}"):
            self.api.tag(image_id, repository, tag, force=True)

    def create_container(self, body: Mapping[str, Any], name: str) -> str:
        """Create from a raw create body; return the new container's ID."""
        with translate(f"create container {name}"):
            created = self.api.create_container_from_config(dict(body), name=name)  # type: ignore[no-untyped-call]
        return str(created["Id"])

    def connect_network(self, network: str, container_id: str, endpoint: Mapping[str, Any]) -> None:
        with translate(f"connect {container_id[:12]} to network {network}"):
            self.api.connect_container_to_network(
                container_id,
                network,
                aliases=endpoint.get("Aliases"),
                links=_links_dict(endpoint.get("Links")),
                ipv4_address=(endpoint.get("IPAMConfig") or {}).get("IPv4Address"),
                ipv6_address=(endpoint.get("IPAMConfig") or {}).get("IPv6Address"),
                link_local_ips=(endpoint.get("IPAMConfig") or {}).get("LinkLocalIPs"),
                driver_opt=endpoint.get("DriverOpts"),
            )

    def rename_container(self, container_id: str, name: str) -> None:
        with translate(f"rename {container_id[:12]} to {name}"):
            self.api.rename(container_id, name)
        log.info("renamed %s to %s", container_id[:12], name)

    def stop_container(self, container_id: str, timeout: int | None = None) -> None:
        """Stop with the container's own stop signal; ``timeout`` defaults to its StopTimeout
        (else the daemon's 10 s)."""
        with translate(f"stop {container_id[:12]}"):
            self.api.stop(container_id, timeout=timeout)
        log.info("stopped %s", container_id[:12])

    def start_container(self, container_id: str) -> None:
        with translate(f"start {container_id[:12]}"):
            self.api.start(container_id)
        log.info("started %s", container_id[:12])

    def restart_container(self, container_id: str, timeout: int | None = None) -> None:
        with translate(f"restart {container_id[:12]}"):
            self.api.restart(container_id, timeout=timeout if timeout is not None else 10)
        log.info("restarted %s", container_id[:12])

    def remove_container(self, container_id: str, *, force: bool = False) -> None:
        """Remove a container; its volumes, anonymous ones included, are kept."""
        with translate(f"remove container {container_id[:12]}"):
            self.api.remove_container(container_id, v=False, force=force)
        log.info("removed container %s", container_id[:12])

    def remove_image(self, image_id: str) -> None:
        with translate(f"remove image {image_id[:19]}"):
            self.api.remove_image(image_id, noprune=False)
        log.info("removed image %s", image_id[:19])

    def containers_using_image(self, image_id: str) -> list[str]:
        """IDs of every container (any state) created from ``image_id``."""
        with translate(f"list containers of image {image_id[:19]}"):
            summaries = self.api.containers(all=True, filters={"ancestor": image_id})
        return [str(s["Id"]) for s in summaries if s.get("ImageID") == image_id]

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
    """An image from its ``docker image inspect`` document (registry-spec C2)."""
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


def _links_dict(links: Any) -> dict[str, str] | None:
    """Endpoint links ``["db:alias"]`` as the SDK wants them (``{"db": "alias"}``)."""
    if not links:
        return None
    pairs = (str(link).partition(":") for link in links)
    return {name: alias or name for name, _, alias in pairs}
