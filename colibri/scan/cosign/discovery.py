"""Where a digest's cosign signatures are: referrers, the referrers tag, the ``.sig`` tag.

For ``repository@<alg>:<hex>`` (docs/registry.md §9 G2/G3, cosign's BUNDLE_SPEC and
SIGNATURE_SPEC):

1. the OCI referrers API, filtered by the sigstore bundle artifact type; when that list is
   empty, the unfiltered list is searched too, since some referrer manifests lack or mislabel
   ``artifactType``. A 404 (no referrers API) falls back to
2. the referrers tag schema: an image index tagged ``<alg>-<hex>`` listing the referrers;
3. always also the legacy cosign tag ``<alg>-<hex>.sig``, in the image's repository or the
   configured signature repository (cosign's ``COSIGN_REPOSITORY``).

Every source is tried even when another failed: what was found is returned with the list of
lookups that failed, so the verifier can tell "unsigned" from "could not look". Absence (a 404
on a tag) is not a failure. At most :data:`MAX_CANDIDATES` referrers are read per source.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from colibri.domain.model import Descriptor
from colibri.domain.ports import Registry
from colibri.domain.refs import ImageRef
from colibri.errors import ColibriError, ManifestUnknown
from colibri.scan.cosign.formats import (
    BUNDLE_PREFIX,
    BUNDLE_V03,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING,
    FormatError,
    decode_base64,
)

__all__ = [
    "MAX_BLOB_BYTES",
    "MAX_CANDIDATES",
    "BundleBlob",
    "Discovery",
    "Malformed",
    "SimpleSigning",
    "discover",
]

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 32
MAX_BLOB_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SimpleSigning:
    """One layer of a ``.sig`` manifest: the payload and its decoded signature."""

    payload: bytes
    signature: bytes
    source: str


@dataclass(frozen=True, slots=True)
class BundleBlob:
    """A sigstore bundle found as a referrer."""

    data: bytes
    source: str


@dataclass(frozen=True, slots=True)
class Malformed:
    """Something that claims to be a signature but cannot be read."""

    problem: str
    source: str


Candidate = SimpleSigning | BundleBlob | Malformed


@dataclass
class Discovery:
    """What the lookup found, and which lookups failed."""

    candidates: list[Candidate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def discover(
    registry: Registry, ref: ImageRef, digest: str, signatures: ImageRef | None = None
) -> Discovery:
    """Every signature candidate for ``ref``'s repository at ``digest`` (see the module)."""
    found = Discovery()
    tag = digest.replace(":", "-", 1)
    with _lookup(found, "referrers"):
        listed = _referrers(registry, ref, digest)
        if listed is None:
            listed = _tagged_index(registry, ref, tag)
            source = f"referrers-tag {tag}"
        else:
            source = "referrers"
        found.candidates.extend(_bundles(registry, ref, listed, source))
    legacy = (signatures or ref).with_tag(f"{tag}.sig")
    with _lookup(found, f"sig-tag {legacy}"):
        found.candidates.extend(_simple_signing(registry, legacy))
    return found


@contextmanager
def _lookup(found: Discovery, name: str) -> Iterator[None]:
    """Record a failed lookup (any ``ColibriError``) in ``found.errors`` and carry on."""
    try:
        yield
    except ColibriError as error:
        logger.warning("signature lookup %s failed: %s", name, error)
        found.errors.append(f"{name}: {error}")


def _referrers(registry: Registry, ref: ImageRef, digest: str) -> list[Descriptor] | None:
    """The referrers API's sigstore entries; the unfiltered list when none is labelled so."""
    filtered = registry.referrers(ref, digest, BUNDLE_V03)
    if filtered is None:
        return None
    if filtered:
        return filtered
    everything = registry.referrers(ref, digest) or []
    return [entry for entry in everything if _maybe_bundle(entry.artifact_type)]


def _tagged_index(registry: Registry, ref: ImageRef, tag: str) -> list[Descriptor]:
    """The entries of the referrers-tag-schema index (none when the tag does not exist)."""
    try:
        index = registry.fetch(ref.with_tag(tag))
    except ManifestUnknown:
        return []
    document = _document(index.body or b"")
    entries = document.get("manifests") if isinstance(document, dict) else None
    listed = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            continue
        kind = entry.get("artifactType")
        artifact_type = kind if isinstance(kind, str) else None
        if _maybe_bundle(artifact_type):
            media_type = str(entry.get("mediaType") or "")
            listed.append(Descriptor(entry["digest"], media_type, artifact_type=artifact_type))
    return listed


def _bundles(
    registry: Registry, ref: ImageRef, listed: list[Descriptor], source: str
) -> Iterator[Candidate]:
    """The bundle blobs of the listed referrer manifests."""
    for entry in listed[:MAX_CANDIDATES]:
        where = f"{source} {entry.digest}"
        manifest = _document(registry.fetch(ref.by_digest(entry.digest)).body or b"")
        layers = [layer for layer in _layers(manifest) if _is_bundle_layer(manifest, layer)]
        if not layers and entry.artifact_type:
            yield Malformed("the referrer manifest has no sigstore bundle layer", where)
        for layer in layers:
            yield BundleBlob(registry.get_blob(ref, layer["digest"], MAX_BLOB_BYTES), where)


def _simple_signing(registry: Registry, legacy: ImageRef) -> Iterator[Candidate]:
    """The simple-signing layers of the ``.sig`` manifest (none when the tag is absent)."""
    try:
        manifest = _document(registry.fetch(legacy).body or b"")
    except ManifestUnknown:
        return
    where = f"sig-tag {legacy}"
    layers = [layer for layer in _layers(manifest) if layer.get("mediaType") == SIMPLE_SIGNING]
    if not layers:
        yield Malformed("the .sig manifest has no simple-signing layer", where)
    for layer in layers[:MAX_CANDIDATES]:
        annotations = layer.get("annotations")
        encoded = annotations.get(SIGNATURE_ANNOTATION) if isinstance(annotations, dict) else None
        try:
            signature = decode_base64(encoded, f"annotation {SIGNATURE_ANNOTATION}")
        except FormatError as exc:
            yield Malformed(str(exc), where)
            continue
        payload = registry.get_blob(legacy, layer["digest"], MAX_BLOB_BYTES)
        yield SimpleSigning(payload, signature, where)


def _maybe_bundle(artifact_type: str | None) -> bool:
    """Sigstore-typed entries, and untyped ones (their manifest decides)."""
    return artifact_type is None or artifact_type.startswith(BUNDLE_PREFIX)


def _is_bundle_layer(manifest: dict[str, Any], layer: dict[str, Any]) -> bool:
    kinds = (layer.get("mediaType"), manifest.get("artifactType"))
    return any(isinstance(kind, str) and kind.startswith(BUNDLE_PREFIX) for kind in kinds)


def _layers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    layers = manifest.get("layers")
    if not isinstance(layers, list):
        return []
    return [
        layer
        for layer in layers
        if isinstance(layer, dict) and isinstance(layer.get("digest"), str)
    ]


def _document(body: bytes) -> dict[str, Any]:
    """A manifest the registry client already parsed and verified; ``{}`` if not an object."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return document if isinstance(document, dict) else {}
