"""In-memory fakes of ``colibri.domain.ports`` for unit tests (no patching, no daemon)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from colibri.errors import EngineNotFound, ManifestUnknown, RegistryError


def digest_of(text: str) -> str:
    """A stable fake digest for a name."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")


@dataclass
class FakeEngine:
    containers: list[Container] = field(default_factory=list)
    images: dict[str, LocalImage] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    kind: str = "docker"

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

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        self.calls["list"] += 1
        return [c for c in self.containers if include_stopped or c.running]

    def get_container(self, name_or_id: str) -> Container:
        for container in self.containers:
            if name_or_id in (container.name, container.id):
                return container
        raise EngineNotFound(f"no such container {name_or_id}")

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        container = self.get_container(name_or_id)
        return {"Id": container.id, "Name": "/" + container.name}

    def inspect_image(self, name_or_id: str) -> LocalImage | None:
        self.calls["inspect_image"] += 1
        image = self.images.get(name_or_id)
        if image is None:
            for candidate in self.images.values():
                if name_or_id in candidate.repo_tags:
                    return candidate
        return image


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
