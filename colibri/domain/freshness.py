"""Is the image a container runs still what its tag points at? (docs/registry.md §1, §4)

Pure decisions only; the check service fetches what these functions ask for:

1. :func:`classify_reference` settles the cases that need no registry at all: an image-ID
   reference (``no_reference``), a malformed one (``error``), a digest-only one (``pinned``), an
   image with no registry digest (``local_only``).
2. :func:`compare` takes the registry's answer for the tracked tag (and, for an index, its
   children) and the local identity set, and says ``up_to_date``, ``update_available`` or
   ``no_platform``. Multi-arch is compared like with like: remote index vs local index digest,
   remote platform child vs local platform digest (C4-C8).
3. When ``compare`` says ``update_available`` but the image was pulled through an index that the
   registry may still serve, :func:`local_index_candidates` names those index digests; the
   service fetches them and calls ``compare`` again so that an index re-published with our
   platform's manifest unchanged is not an update (C6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from colibri.domain.model import CheckStatus, Container, LocalImage, RemoteManifest
from colibri.domain.platforms import choose_child
from colibri.domain.refs import ImageRef, is_image_id, parse_reference
from colibri.errors import BadReference

__all__ = [
    "Verdict",
    "classify_reference",
    "compare",
    "current_digest",
    "local_index_candidates",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    """A decision about one container, before it is turned into a ``CheckResult``."""

    status: CheckStatus
    reason: str
    ref: ImageRef | None = None
    current_digest: str | None = None
    remote_digest: str | None = None
    expected_digest: str | None = None
    error_kind: str | None = None
    target_tag: str | None = None


def classify_reference(container: Container, local: LocalImage | None) -> Verdict:
    """Everything decidable without the registry; ``status`` is ``UPDATE_AVAILABLE`` as a
    placeholder meaning "ask the registry" (with ``ref`` set)."""
    if is_image_id(container.config_image, container.image_id):
        return Verdict(CheckStatus.NO_REFERENCE, "created from an image ID, not a repository")
    try:
        ref = parse_reference(container.config_image)
    except BadReference as exc:
        return Verdict(CheckStatus.ERROR, str(exc), error_kind=exc.kind)
    if ref.pinned:
        return Verdict(CheckStatus.PINNED, "pinned to a digest", ref, current_digest=ref.digest)
    if local is None:
        return Verdict(CheckStatus.ERROR, "the container's image is gone", ref, error_kind="image")
    if not local.digests:
        return Verdict(
            CheckStatus.LOCAL_ONLY, "image has no registry digest (built or loaded locally)", ref
        )
    return Verdict(CheckStatus.UPDATE_AVAILABLE, "", ref, current_digest=current_digest(ref, local))


def compare(
    ref: ImageRef,
    local: LocalImage,
    remote: RemoteManifest,
    local_indexes: Mapping[str, RemoteManifest] | None = None,
) -> Verdict:
    """Decide from the registry's answer for ``ref``'s tag (``remote``, with ``children``
    filled in when it is an index that had to be fetched)."""
    mine = local.digests
    if remote.digest in mine:
        return _fresh(ref, remote.digest, remote.digest, "tag still points at the running image")
    platform_digest = remote.digest
    if remote.is_index:
        if local.platform is None:
            return _no_platform(ref, remote, "the running image does not say its platform")
        child = choose_child(remote.children, local.platform)
        if child is None:
            return _no_platform(ref, remote, f"the index has no entry for {local.platform}")
        platform_digest = child.digest
        if platform_digest in mine:
            return _fresh(ref, platform_digest, remote.digest, "platform manifest unchanged")
    for digest, index in (local_indexes or {}).items():
        if index.is_index and local.platform is not None:
            old_child = choose_child(index.children, local.platform)
            if old_child is not None and old_child.digest == platform_digest:
                return _fresh(
                    ref, digest, remote.digest, "index re-published; this platform unchanged"
                )
    return Verdict(
        CheckStatus.UPDATE_AVAILABLE,
        "tag points at a newer image",
        ref,
        current_digest=current_digest(ref, local),
        remote_digest=remote.digest,
        expected_digest=platform_digest if remote.is_index else None,
    )


def local_index_candidates(ref: ImageRef, local: LocalImage, remote: RemoteManifest) -> list[str]:
    """Digests this image was pulled as from ``ref``'s repository that may be indexes (C6)."""
    candidates = [
        digest
        for name, _, digest in (entry.rpartition("@") for entry in local.repo_digests)
        if _same_repository(name, ref) and digest != remote.digest
    ]
    return sorted(set(candidates))


def current_digest(ref: ImageRef, local: LocalImage) -> str | None:
    """The digest the container is known to run for ``ref``'s repository.

    The digest written in the reference wins (``name:tag@digest``, what Colibri creates);
    otherwise this repository's RepoDigest; otherwise any digest the image is known by.
    """
    if ref.digest and ref.digest in local.digests:
        return ref.digest
    for entry in local.repo_digests:
        name, _, digest = entry.rpartition("@")
        if _same_repository(name, ref):
            return digest
    return min(local.digests) if local.digests else None


def _same_repository(name: str, ref: ImageRef) -> bool:
    try:
        other = parse_reference(name)
    except BadReference:
        return False
    return other.registry_key == ref.registry_key and other.path == ref.path


def _fresh(ref: ImageRef, current: str, remote: str, reason: str) -> Verdict:
    return Verdict(
        CheckStatus.UP_TO_DATE, reason, ref, current_digest=current, remote_digest=remote
    )


def _no_platform(ref: ImageRef, remote: RemoteManifest, reason: str) -> Verdict:
    return Verdict(CheckStatus.NO_PLATFORM, reason, ref, remote_digest=remote.digest)
