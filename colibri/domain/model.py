"""Value types shared by every layer. Frozen, typed, free of I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from colibri.domain.refs import ImageRef

if TYPE_CHECKING:
    from colibri.domain.controls import ControlNotes

__all__ = [
    "INDEX_MEDIA_TYPES",
    "MANIFEST_ACCEPT",
    "MANIFEST_MEDIA_TYPES",
    "SCHEMA1_MEDIA_TYPES",
    "CheckResult",
    "CheckStatus",
    "Container",
    "Descriptor",
    "LocalImage",
    "Platform",
    "RemoteManifest",
    "digests_of",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

#: The four types every manifest request accepts (docs/registry.md H1), index types first.
MANIFEST_ACCEPT: tuple[str, ...] = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_MEDIA_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
SCHEMA1_MEDIA_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)


@dataclass(frozen=True, slots=True)
class Platform:
    """An image platform, normalised as containerd does (``linux/amd64``, ``linux/arm/v7``)."""

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None

    def __str__(self) -> str:
        parts = [self.os, self.architecture]
        if self.variant:
            parts.append(self.variant)
        return "/".join(parts)


@dataclass(frozen=True, slots=True)
class Container:
    """What the checker needs to know about one container.

    ``config_image`` is the reference the container was created with (``Config.Image``), never
    the image's first RepoTag; ``image_id`` is the ID of the image it runs (``.Image``).
    ``reference_current`` is True when the daemon says ``config_image`` still names that image
    (``docker ps`` shows the reference, not the ID), None when unknown. ``pod`` names the
    podman pod the container belongs to (``""`` outside podman pods).
    """

    id: str
    name: str
    config_image: str
    image_id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    state: str = "running"
    network_mode: str = ""
    reference_current: bool | None = None
    pod: str = ""

    @property
    def running(self) -> bool:
        return self.state in {"running", "restarting", "paused"}


@dataclass(frozen=True, slots=True)
class LocalImage:
    """An image in the daemon's store, identified by ID.

    ``digests`` is the local identity set: every registry digest this image is known by (all
    RepoDigests of any repository, plus the manifest descriptor when the daemon reports one).
    """

    id: str
    digests: frozenset[str]
    repo_digests: tuple[str, ...] = ()
    repo_tags: tuple[str, ...] = ()
    platform: Platform | None = None


@dataclass(frozen=True, slots=True)
class Descriptor:
    """An entry of an image index: a child manifest for one platform, or (in a referrers
    list) an artifact about another manifest, whose type ``artifact_type`` names."""

    digest: str
    media_type: str
    size: int = 0
    platform: Platform | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    artifact_type: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteManifest:
    """What the registry says a tag or digest points at.

    ``body`` is the exact bytes received when the manifest was fetched with GET (``None`` after a
    HEAD); ``children`` the platform entries when it is an index.
    """

    digest: str
    media_type: str
    body: bytes | None = None
    children: tuple[Descriptor, ...] = ()

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_MEDIA_TYPES


class CheckStatus(StrEnum):
    """The outcome of checking one container (docs/registry.md, "Outcomes")."""

    UP_TO_DATE = "up_to_date"
    UPDATE_AVAILABLE = "update_available"
    PINNED = "pinned"
    LOCAL_ONLY = "local_only"
    NO_REFERENCE = "no_reference"
    NO_PLATFORM = "no_platform"
    DEFERRED = "deferred"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One container's check, as printed by ``colibri check --format json``.

    ``remote_digest`` is what the tag points at now (an index digest for multi-arch images);
    ``expected_digest`` the platform manifest inside it that the container would run;
    ``current_digest`` the local digest that matched, or the one recorded for this repository;
    ``target_tag`` the newer version tag to move to, when a tag policy found one (the remote
    digests are then that tag's). ``notes`` is what the operator's controls say about the
    candidate (:class:`colibri.domain.controls.ControlNotes`). ``checked`` is the container
    exactly as it was listed for the check, ``ref`` its parsed reference (``None`` when it has
    none): an update acts on these, never on names or strings parsed again.
    """

    container: str
    image: str
    status: CheckStatus
    reason: str = ""
    current_digest: str | None = None
    remote_digest: str | None = None
    expected_digest: str | None = None
    container_id: str = ""
    image_id: str = ""
    platform: str | None = None
    error_kind: str | None = None
    warnings: tuple[str, ...] = ()
    target_tag: str | None = None
    notes: ControlNotes | None = None
    checked: Container | None = field(default=None, compare=False, repr=False)
    ref: ImageRef | None = field(default=None, compare=False, repr=False)

    @property
    def target_ref(self) -> ImageRef | None:
        """The reference to update to: the container's, on the newer tag when one was found."""
        if self.ref is None or not self.target_tag:
            return self.ref
        return self.ref.with_tag(self.target_tag)

    def as_dict(self) -> dict[str, object]:
        """The JSON form: stable keys, enums as their values."""
        return {
            "container": self.container,
            "container_id": self.container_id,
            "image": self.image,
            "status": self.status.value,
            "current_digest": self.current_digest,
            "remote_digest": self.remote_digest,
            "expected_digest": self.expected_digest,
            "target_tag": self.target_tag,
            "image_id": self.image_id,
            "platform": self.platform,
            "reason": self.reason,
            "error_kind": self.error_kind,
            "warnings": list(self.warnings),
            **(self.notes.as_dict() if self.notes else _NO_NOTES),
        }


#: The controls' keys of a result they had nothing to say about (see ``ControlNotes``).
_NO_NOTES: Mapping[str, object] = {
    "update_kind": None,
    "changes": None,
    "eligible_at": None,
    "skip_id": None,
    "skipped_until": None,
    "window": None,
    "window_open": None,
    "next_window_opening": None,
}


def digests_of(repo_digests: Iterable[str]) -> frozenset[str]:
    """The digest parts of ``name@digest`` entries such as an image's ``RepoDigests``."""
    return frozenset(entry.rpartition("@")[2] for entry in repo_digests if "@" in entry)
