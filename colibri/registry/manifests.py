"""Manifests, indexes, tag lists and digests as the registry sends them. Pure functions.

Rules (docs/registry.md H2-H4): a digest is computed over the exact bytes received, never over
re-serialised JSON; the media type comes from ``Content-Type`` with parameters ignored, and a
``mediaType`` in the body must agree with it; schema1 is refused. Every malformed answer raises
``RegistryProtocolError`` naming the field that was wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from colibri.domain.model import (
    INDEX_MEDIA_TYPES,
    MANIFEST_ACCEPT,
    SCHEMA1_MEDIA_TYPES,
    Descriptor,
    Platform,
    RemoteManifest,
)
from colibri.errors import DigestMismatch, RegistryProtocolError, UnsupportedManifest

__all__ = [
    "OCI_INDEX",
    "Referrer",
    "accepted_header_type",
    "compute_digest",
    "error_summary",
    "media_type_of",
    "parse_manifest",
    "parse_referrers",
    "parse_tags",
    "validate_digest",
    "verify_digest",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
#: Content types that say nothing about the manifest: the body's ``mediaType`` decides.
_GENERIC_TYPES = frozenset(
    {"", "application/json", "application/octet-stream", "binary/octet-stream", "text/plain"}
)
_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128}
_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_ERROR_TEXT_MAX = 300


@dataclass(frozen=True, slots=True)
class Referrer(Descriptor):
    """An entry of a referrers answer: a descriptor plus the artifact type it declares."""

    artifact_type: str | None = None


def media_type_of(content_type: str | None) -> str:
    """``application/x+json; charset=utf-8`` -> ``application/x+json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def validate_digest(digest: str, *, what: str = "digest") -> str:
    """Return ``digest`` if it is ``algorithm:encoded`` with a known algorithm's length."""
    if not _DIGEST_RE.fullmatch(digest):
        raise RegistryProtocolError(f"malformed {what} {digest[:100]!r}")
    algorithm, _, encoded = digest.partition(":")
    length = _ALGORITHMS.get(algorithm)
    if length is None:
        raise RegistryProtocolError(f"{what} {digest[:100]!r} uses an unsupported algorithm")
    if len(encoded) != length or not re.fullmatch(r"[0-9a-f]+", encoded):
        raise RegistryProtocolError(f"malformed {what} {digest[:100]!r}")
    return digest


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """``algorithm:hex`` of the exact bytes (sha256 unless another algorithm is named)."""
    name = algorithm if algorithm in _ALGORITHMS else "sha256"
    return f"{name}:{hashlib.new(name, data).hexdigest()}"


def verify_digest(data: bytes, expected: str, *, what: str) -> None:
    """Raise ``DigestMismatch`` unless ``data`` hashes to ``expected``."""
    algorithm = validate_digest(expected).partition(":")[0]
    actual = compute_digest(data, algorithm)
    if actual != expected:
        raise DigestMismatch(f"{what} was served as {expected} but its body hashes to {actual}")


def parse_manifest(body: bytes, content_type: str | None, digest: str) -> RemoteManifest:
    """The manifest ``body`` served as ``content_type``; ``digest`` is already verified."""
    header_type = _accepted_type(media_type_of(content_type))
    document = _json_object(body, "manifest")
    media_type = _reconcile_media_type(header_type, document)
    children: tuple[Descriptor, ...] = ()
    if media_type in INDEX_MEDIA_TYPES:
        children = tuple(_descriptors(document, "manifests"))
    else:
        _descriptor(document.get("config"), "config")
        _list(document, "layers", required=False)
    return RemoteManifest(digest=digest, media_type=media_type, body=body, children=children)


def accepted_header_type(content_type: str | None) -> str | None:
    """The manifest type a HEAD answer announces, ``None`` when it is generic (need a GET)."""
    return _accepted_type(media_type_of(content_type))


def parse_tags(body: bytes) -> list[str]:
    """The ``tags`` of a tags/list page (``null`` means none)."""
    document = _json_object(body, "tag list")
    tags = document.get("tags")
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise RegistryProtocolError("tag list: 'tags' is not a list of strings")
    return list(tags)


def parse_referrers(body: bytes) -> list[Referrer]:
    """The ``manifests`` of a referrers answer (an image index)."""
    document = _json_object(body, "referrers index")
    referrers: list[Referrer] = []
    for position, entry in enumerate(_list(document, "manifests", required=False)):
        where = f"manifests[{position}]"
        base = _descriptor(entry, where)
        artifact_type = _optional_str(entry, "artifactType", where)
        referrers.append(
            Referrer(
                digest=base.digest,
                media_type=base.media_type,
                size=base.size,
                platform=base.platform,
                annotations=base.annotations,
                artifact_type=artifact_type,
            )
        )
    return referrers


def error_summary(body: bytes) -> str:
    """A short, printable summary of an OCI error body (``CODE: message``), or ``""``."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for error in errors[:3]:
        if isinstance(error, dict):
            parts.append(f"{error.get('code', '')}: {error.get('message', '')}".strip(": "))
    text = "; ".join(part for part in parts if part)
    return "".join(char if char.isprintable() else "?" for char in text)[:_ERROR_TEXT_MAX]


def _accepted_type(media_type: str) -> str | None:
    if media_type in SCHEMA1_MEDIA_TYPES:
        raise UnsupportedManifest(f"the registry answered a schema1 manifest ({media_type})")
    if media_type in MANIFEST_ACCEPT:
        return media_type
    if media_type in _GENERIC_TYPES:
        return None
    raise UnsupportedManifest(f"unsupported manifest media type {media_type[:100]!r}")


def _reconcile_media_type(header_type: str | None, document: Mapping[str, Any]) -> str:
    if document.get("schemaVersion") == 1 or "fsLayers" in document:
        raise UnsupportedManifest("the registry answered a schema1 manifest")
    body_type = _optional_str(document, "mediaType", "manifest")
    if header_type and body_type and body_type != header_type:
        raise RegistryProtocolError(
            f"manifest served as {header_type} declares mediaType {body_type[:100]!r}"
        )
    resolved = header_type or body_type or _infer_media_type(document)
    accepted = _accepted_type(resolved.lower())
    if accepted is None:
        raise RegistryProtocolError("manifest media type is unknown: no Content-Type, no mediaType")
    return accepted


def _infer_media_type(document: Mapping[str, Any]) -> str:
    if "manifests" in document:
        return OCI_INDEX
    if "config" in document:
        return OCI_MANIFEST
    return ""


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryProtocolError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise RegistryProtocolError(f"{what} is not a JSON object")
    return document


def _list(document: Mapping[str, Any], key: str, *, required: bool = True) -> list[Any]:
    value = document.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        state = "missing" if value is None else "not a list"
        raise RegistryProtocolError(f"manifest field '{key}' is {state}")
    return value


def _descriptors(document: Mapping[str, Any], key: str) -> list[Descriptor]:
    return [
        _descriptor(entry, f"{key}[{position}]")
        for position, entry in enumerate(_list(document, key))
    ]


def _descriptor(entry: object, where: str) -> Descriptor:
    if not isinstance(entry, dict):
        raise RegistryProtocolError(f"manifest field '{where}' is missing or not an object")
    media_type = _optional_str(entry, "mediaType", where)
    if not media_type:
        raise RegistryProtocolError(f"manifest field '{where}.mediaType' is missing")
    digest = _optional_str(entry, "digest", where)
    if not digest:
        raise RegistryProtocolError(f"manifest field '{where}.digest' is missing")
    validate_digest(digest, what=f"'{where}.digest'")
    size = entry.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RegistryProtocolError(f"manifest field '{where}.size' is not a size")
    return Descriptor(
        digest=digest,
        media_type=media_type,
        size=size,
        platform=_platform(entry.get("platform"), f"{where}.platform"),
        annotations=_annotations(entry.get("annotations"), f"{where}.annotations"),
    )


def _platform(value: object, where: str) -> Platform | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RegistryProtocolError(f"manifest field '{where}' is not an object")
    os_name = _optional_str(value, "os", where)
    architecture = _optional_str(value, "architecture", where)
    if not os_name or not architecture:
        raise RegistryProtocolError(f"manifest field '{where}' lacks os or architecture")
    return Platform(
        os=os_name,
        architecture=architecture,
        variant=_optional_str(value, "variant", where) or None,
        os_version=_optional_str(value, "os.version", where) or None,
    )


def _annotations(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        raise RegistryProtocolError(f"manifest field '{where}' is not a string map")
    return dict(value)


def _optional_str(document: Mapping[str, Any], key: str, where: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise RegistryProtocolError(f"manifest field '{where}.{key}' is not a string")
    return value
