"""In-memory fakes of ``colibri.domain.ports`` for unit tests (no patching, no daemon)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from colibri.domain.model import (
    OCI_INDEX,
    OCI_MANIFEST,
    Container,
    Descriptor,
    LocalImage,
    Platform,
    RemoteManifest,
)
from colibri.domain.refs import ImageRef
from colibri.domain.skips import NewSkip, Skip
from colibri.errors import (
    EngineConflict,
    EngineNotFound,
    ManifestUnknown,
    PullFailed,
    RegistryError,
)


def digest_of(text: str) -> str:
    """A stable fake digest for a name."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")


@dataclass
class FakeEngine:
    """A faithful in-memory Docker daemon: containers with state and names, images with
    tags and digests, a registry to pull from, and faults to inject per method.

    ``published`` holds what a pull can fetch (``repo@digest`` -> image); ``image_configs``
    an image's ``Config``; ``crashing`` the images whose containers exit right after they
    start; ``faults`` errors raised by the next calls of a method (``fail``)."""

    containers: list[Container] = field(default_factory=list)
    images: dict[str, LocalImage] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    kind: str = "docker"
    published: dict[str, LocalImage] = field(default_factory=dict)
    image_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    crashing: set[str] = field(default_factory=set)
    faults: dict[str, list[Exception]] = field(default_factory=dict)
    rules: list[tuple[str, Callable[[str], Exception | None]]] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    bodies: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    restarts: Counter[str] = field(default_factory=Counter)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add(self, name: str, config_image: str, image: LocalImage, **labels: str) -> Container:
        self.images[image.id] = image
        container = Container(
            id=digest_of(name)[7:],
            name=name,
            config_image=config_image,
            image_id=image.id,
            labels={key.replace("_", "."): value for key, value in labels.items()},
        )
        self.containers.append(container)
        return container

    def publish(
        self, repository: str, image: LocalImage, config: Mapping[str, Any] | None = None
    ) -> str:
        """Make ``image`` pullable as ``repository@<its digest>``; that digest."""
        digest = next(iter(sorted(image.digests)))
        self.published[f"{repository}@{digest}"] = image
        self.image_configs[image.id] = dict(config or {})
        return digest

    def fail(self, method: str, error: Exception, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` raise ``error``."""
        self.faults.setdefault(method, []).extend([error] * times)

    def fail_if(self, method: str, rule: Callable[[str], Exception | None]) -> None:
        """Calls of ``method`` raise what ``rule`` returns for their target (if anything)."""
        self.rules.append((method, rule))

    def _call(self, method: str, target: str = "") -> None:
        with self.lock:
            self.calls[method] += 1
            self.events.append((method, target))
            pending = self.faults.get(method)
            if pending:
                raise pending.pop(0)
            for name, rule in self.rules:
                error = rule(target) if name == method else None
                if error is not None:
                    raise error

    # -- containers --

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        self._call("list")
        with self.lock:
            return [c for c in self.containers if include_stopped or c.running]

    def get_container(self, name_or_id: str) -> Container:
        with self.lock:
            for container in self.containers:
                if name_or_id in (container.name, container.id):
                    return container
            for container in self.containers:
                if len(name_or_id) >= 12 and container.id.startswith(name_or_id):
                    return container
        raise EngineNotFound(f"no such container {name_or_id}")

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        self._call("inspect_container", name_or_id)
        container = self.get_container(name_or_id)
        body = self.bodies.get(container.id, {})
        running = container.state in {"running", "restarting"}
        return {
            "Id": container.id,
            "Name": "/" + container.name,
            "Image": container.image_id,
            "Config": {
                **{k: v for k, v in body.items() if k not in {"HostConfig", "NetworkingConfig"}},
                "Image": container.config_image,
                "Labels": dict(container.labels),
            },
            "HostConfig": {
                **dict(body.get("HostConfig") or {}),
                "NetworkMode": container.network_mode or "bridge",
            },
            "State": {
                "Status": container.state,
                "Running": running,
                "Restarting": container.state == "restarting",
                "OOMKilled": False,
                "ExitCode": 0 if running else 1,
                "RestartCount": self.restarts[container.id],
            },
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.0.0.2"}}},
            "Mounts": [],
        }

    def create_container(self, body: Mapping[str, Any], name: str) -> str:
        self._call("create", name)
        with self.lock:
            if any(c.name == name for c in self.containers):
                raise EngineConflict(f"the name {name} is already in use")
            image = self.inspect_image(str(body.get("Image") or ""))
            if image is None:
                raise EngineNotFound(f"no such image {body.get('Image')}")
            labels = {**(self.image_configs.get(image.id, {}).get("Labels") or {})}
            labels.update(body.get("Labels") or {})
            mode = str((body.get("HostConfig") or {}).get("NetworkMode") or "")
            container = Container(
                id=digest_of(f"{name}/{len(self.events)}")[7:],
                name=name,
                config_image=str(body["Image"]),
                image_id=image.id,
                labels=labels,
                state="created",
                network_mode="" if mode in {"", "bridge", "default"} else mode,
            )
            self.containers.append(container)
            self.bodies[container.id] = body
            return container.id

    def connect_network(self, network: str, container_id: str, endpoint: Mapping[str, Any]) -> None:
        self._call("connect_network", container_id)
        self.get_container(container_id)

    def rename_container(self, container_id: str, name: str) -> None:
        self._call("rename", f"{container_id}->{name}")
        with self.lock:
            container = self.get_container(container_id)
            if any(c.name == name and c.id != container.id for c in self.containers):
                raise EngineConflict(f"the name {name} is already in use")
            self._replace(container, name=name)

    def stop_container(self, container_id: str, timeout: int | None = None) -> None:
        self._call("stop", container_id)
        with self.lock:
            self._replace(self.get_container(container_id), state="exited")

    def start_container(self, container_id: str) -> None:
        self._call("start", container_id)
        with self.lock:
            container = self.get_container(container_id)
            state = "exited" if container.image_id in self.crashing else "running"
            self._replace(container, state=state)

    def restart_container(self, container_id: str, timeout: int | None = None) -> None:
        self._call("restart", container_id)
        with self.lock:
            container = self.get_container(container_id)
            self._replace(container, state="running")

    def remove_container(self, container_id: str, *, force: bool = False) -> None:
        self._call("remove", container_id)
        with self.lock:
            container = self.get_container(container_id)
            if container.running and not force:
                raise EngineConflict(f"container {container_id} is running")
            self.containers.remove(container)

    def _replace(self, container: Container, **changes: Any) -> None:
        index = self.containers.index(container)
        self.containers[index] = replace(container, **changes)

    # -- images --

    def inspect_image(self, name_or_id: str) -> LocalImage | None:
        self.calls["inspect_image"] += 1
        with self.lock:
            image = self.images.get(name_or_id)
            if image is not None:
                return image
            wanted = _by_digest(name_or_id)
            for candidate in self.images.values():
                if name_or_id in candidate.repo_tags or wanted in candidate.repo_digests:
                    return candidate
        return None

    def inspect_image_raw(self, name_or_id: str) -> Mapping[str, Any] | None:
        image = self.inspect_image(name_or_id)
        if image is None:
            return None
        return {"Id": image.id, "Config": dict(self.image_configs.get(image.id, {}))}

    def pull(
        self,
        repository: str,
        digest: str,
        *,
        platform: str | None = None,
        auth: Mapping[str, str] | None = None,
    ) -> None:
        self._call("pull", f"{repository}@{digest}")
        with self.lock:
            image = self.published.get(f"{repository}@{digest}")
            if image is None:
                raise PullFailed(f"manifest for {repository}@{digest} not found")
            known = self.images.get(image.id, image)
            entry = f"{repository}@{digest}"
            digests = (
                known.repo_digests
                if entry in known.repo_digests
                else (
                    *known.repo_digests,
                    entry,
                )
            )
            self.images[image.id] = replace(
                known, repo_digests=digests, digests=known.digests | {digest}
            )

    def tag_image(self, image_id: str, repository: str, tag: str) -> None:
        self._call("tag", f"{image_id}->{repository}:{tag}")
        reference = f"{repository}:{tag}"
        with self.lock:
            if image_id not in self.images:
                raise EngineNotFound(f"no such image {image_id}")
            for key, image in list(self.images.items()):
                tags = tuple(t for t in image.repo_tags if t != reference)
                if key == image_id:
                    tags = (*tags, reference)
                self.images[key] = replace(image, repo_tags=tags)

    def remove_image(self, image_id: str) -> None:
        self._call("remove_image", image_id)
        with self.lock:
            for key, image in list(self.images.items()):
                if key == image_id:
                    del self.images[key]
                    return
                if image_id in image.repo_tags or image_id in image.repo_digests:
                    tags = tuple(t for t in image.repo_tags if t != image_id)
                    digests = tuple(d for d in image.repo_digests if d != image_id)
                    if not tags and not digests:
                        del self.images[key]
                    else:
                        self.images[key] = replace(image, repo_tags=tags, repo_digests=digests)
                    return
        raise EngineNotFound(f"no such image {image_id}")

    def containers_using_image(self, image_id: str) -> list[str]:
        with self.lock:
            return [c.id for c in self.containers if c.image_id == image_id]


def _by_digest(reference: str) -> str:
    """``repo:tag@digest`` as the daemon looks it up: ``repo@digest``."""
    if "@" not in reference:
        return reference
    name, _, digest = reference.partition("@")
    slash = name.rfind("/")
    if ":" in name[slash + 1 :]:
        name = name[: name.rfind(":")]
    return f"{name}@{digest}"


def local_image(
    name: str, *repo_digests: str, platform: Platform | None = AMD64, tags: tuple[str, ...] = ()
) -> LocalImage:
    return LocalImage(
        id=digest_of("image:" + name),
        digests=frozenset(entry.rpartition("@")[2] for entry in repo_digests),
        repo_digests=tuple(repo_digests),
        repo_tags=tags,
        platform=platform,
    )


def index_of(children: Mapping[Platform, str]) -> RemoteManifest:
    """An OCI index with one child per platform; its digest is the hash of its body."""
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "digest": d,
                    "mediaType": OCI_MANIFEST,
                    "size": 1,
                    "platform": {"os": p.os, "architecture": p.architecture},
                }
                for p, d in children.items()
            ],
        }
    ).encode()
    return RemoteManifest(
        digest="sha256:" + hashlib.sha256(body).hexdigest(),
        media_type=OCI_INDEX,
        body=body,
        children=tuple(Descriptor(d, OCI_MANIFEST, 1, p) for p, d in children.items()),
    )


@dataclass
class FakeRegistry:
    """Tags and manifests in memory; counts requests; can fail per registry."""

    tags: dict[tuple[str, str], RemoteManifest] = field(default_factory=dict)
    by_digest: dict[str, RemoteManifest] = field(default_factory=dict)
    failures: dict[str, RegistryError] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_tag(self, ref: str, manifest: RemoteManifest) -> None:
        name, _, tag = ref.rpartition(":")
        self.tags[(name, tag)] = manifest
        self.by_digest[manifest.digest] = manifest

    def head(self, ref: ImageRef) -> RemoteManifest:
        self._count("HEAD", ref)
        found = self.tags.get((ref.name, ref.tag or "latest"))
        if found is None:
            raise ManifestUnknown(f"{ref} not found", registry=ref.domain)
        return RemoteManifest(found.digest, found.media_type)

    def fetch(self, ref: ImageRef) -> RemoteManifest:
        self._count("GET", ref)
        found = self.by_digest.get(ref.digest or "")
        if found is None:
            raise ManifestUnknown(f"{ref} not found", registry=ref.domain)
        return found

    def forget_tags(self) -> None:
        pass

    def list_tags(self, ref: ImageRef, *, page_size: int | None = None) -> list[str]:
        self._count("TAGS", ref)
        return sorted(tag for name, tag in self.tags if name == ref.name)

    def _count(self, method: str, ref: ImageRef) -> None:
        with self.lock:
            self.requests[method] += 1
            self.requests[f"{method} {ref.domain}"] += 1
        if ref.domain in self.failures:
            raise self.failures[ref.domain]


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, tzinfo=UTC)
        self.mono = 1000.0
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.mono += seconds
        self.current += timedelta(seconds=seconds)


class MemorySkips:
    """``colibri.domain.ports.Skips`` in memory."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.rows: list[Skip] = []

    def add(self, new: NewSkip) -> Skip:
        skip = Skip(
            len(self.rows) + 1,
            new.environment,
            new.container_name,
            new.version,
            new.until,
            new.reason,
            self.clock.now(),
        )
        self.rows.append(skip)
        return skip

    def list_skips(
        self, environment: str | None = None, container_name: str | None = None
    ) -> list[Skip]:
        return [
            skip
            for skip in self.rows
            if environment in (None, skip.environment)
            and container_name in (None, skip.container_name)
        ]

    def clear(self, environment: str, container_name: str) -> int:
        gone = self.list_skips(environment, container_name)
        self.rows = [skip for skip in self.rows if skip not in gone]
        return len(gone)

    def delete(self, skip_id: int) -> bool:
        before = len(self.rows)
        self.rows = [skip for skip in self.rows if skip.id != skip_id]
        return len(self.rows) < before
