"""The two cosign signature formats, parsed and their signed claims checked. Pure functions.

**Simple signing** (cosign ≤ v2, the ``sha256-<hex>.sig`` tag): each layer of the signature
manifest is a payload blob (``application/vnd.dev.cosign.simplesigning.v1+json``) whose
signature sits base64-encoded in the layer annotation ``dev.cosignproject.cosign/signature``.
The signed payload names the image::

    {"critical": {"identity": {"docker-reference": "registry/repo"},
                  "image": {"docker-manifest-digest": "sha256:…"},
                  "type": "cosign container image signature"},
     "optional": {…}}

Cosign itself ignores ``docker-reference``; we require it to name the repository being
updated (a signature by the same key for repository A must not pass for repository B). A tag in
it is ignored; a digest in it must be the signed digest.

**Sigstore bundle** (cosign v3, an OCI referrer with artifact type
``application/vnd.dev.sigstore.bundle.v0.3+json``), with either

* a ``dsseEnvelope`` (cosign v3's ``sign``): the signature covers the DSSE pre-authentication
  encoding of an in-toto statement whose ``predicateType`` is
  ``https://sigstore.dev/cosign/sign/v1`` and whose ``subject`` digest is the image digest.
  Other predicate types are attestations (SBOM, provenance), not signatures, and are refused.
* a ``messageSignature``: the signature covers a message whose SHA-256
  (``messageDigest``) must be the image digest itself (the manifest was signed as a blob).

Neither bundle form names the repository: cosign v3 binds a signature to the digest only, so
for bundles the repository check cannot be made (a re-push of exactly the same signed bytes to
another repository of the same key passes). Certificates, transparency-log entries and
timestamps in a bundle are not checked: trust comes from the configured public key alone (as
``cosign verify --key … --insecure-ignore-tlog``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from colibri.domain.refs import parse_reference
from colibri.errors import BadReference

__all__ = [
    "BUNDLE_PREFIX",
    "BUNDLE_V03",
    "COSIGN_SIGN_PREDICATE",
    "IN_TOTO_PAYLOAD",
    "SIGNATURE_ANNOTATION",
    "SIMPLE_SIGNING",
    "SIMPLE_SIGNING_TYPE",
    "DsseBundle",
    "FormatError",
    "MessageBundle",
    "check_message_digest",
    "check_simple_signing",
    "check_statement",
    "decode_base64",
    "pae",
    "parse_bundle",
]

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
SIMPLE_SIGNING_TYPE = "cosign container image signature"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle"
IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"}
)


class FormatError(ValueError):
    """A signature's content is malformed or does not claim what it must."""


@dataclass(frozen=True, slots=True)
class DsseBundle:
    """A bundle's DSSE envelope: the payload, its type, and its signatures."""

    payload_type: str
    payload: bytes
    signatures: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class MessageBundle:
    """A bundle's message signature: the SHA-256 of the signed message, and the signature."""

    algorithm: str
    message_digest: bytes
    signature: bytes


def check_simple_signing(payload: bytes, digest: str, repository: str) -> None:
    """Raise ``FormatError`` unless the payload names ``digest`` and ``repository``."""
    document = _json_object(payload, "simple-signing payload")
    critical = _object(document, "critical")
    kind = critical.get("type")
    if not isinstance(kind, str) or kind.casefold() != SIMPLE_SIGNING_TYPE:
        raise FormatError(f"payload type is {kind!r}, not {SIMPLE_SIGNING_TYPE!r}")
    signed = _object(critical, "image").get("docker-manifest-digest")
    if signed != digest:
        raise FormatError(f"the payload signs {signed!r}, not {digest}")
    named = _object(critical, "identity").get("docker-reference")
    if not isinstance(named, str) or not _same_repository(named, repository, digest):
        raise FormatError(f"the payload names {named!r}, not {repository}")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what a DSSE signature actually covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def check_statement(payload: bytes, digest: str) -> None:
    """Raise ``FormatError`` unless ``payload`` is a cosign signature statement for
    ``digest`` (an in-toto statement with the cosign sign predicate)."""
    document = _json_object(payload, "in-toto statement")
    if document.get("_type") not in STATEMENT_TYPES:
        raise FormatError(f"not an in-toto statement (_type {document.get('_type')!r})")
    predicate = document.get("predicateType")
    if predicate != COSIGN_SIGN_PREDICATE:
        raise FormatError(f"an attestation ({predicate!r}), not a cosign signature")
    algorithm, _, hexdigest = digest.partition(":")
    subjects = document.get("subject")
    if not isinstance(subjects, list):
        raise FormatError("the statement has no subject list")
    for subject in subjects:
        digests = subject.get("digest") if isinstance(subject, dict) else None
        if isinstance(digests, dict) and digests.get(algorithm) == hexdigest:
            return
    raise FormatError(f"the statement's subjects do not include {digest}")


def check_message_digest(bundle: MessageBundle, digest: str) -> None:
    """Raise ``FormatError`` unless the signed message is the manifest of ``digest``."""
    algorithm, _, hexdigest = digest.partition(":")
    if bundle.algorithm != "SHA2_256" or algorithm != "sha256":
        raise FormatError(f"message digest algorithm {bundle.algorithm!r} cannot match {digest}")
    if bundle.message_digest.hex() != hexdigest:
        raise FormatError(f"the message signed is sha256:{bundle.message_digest.hex()}")


def parse_bundle(data: bytes) -> DsseBundle | MessageBundle:
    """A sigstore bundle's signed content; ``FormatError`` when it is not one."""
    document = _json_object(data, "sigstore bundle")
    media_type = document.get("mediaType")
    if not isinstance(media_type, str) or not media_type.startswith(BUNDLE_PREFIX):
        raise FormatError(f"not a sigstore bundle (mediaType {media_type!r})")
    if isinstance(document.get("dsseEnvelope"), dict):
        return _dsse(document["dsseEnvelope"])
    if isinstance(document.get("messageSignature"), dict):
        return _message(document["messageSignature"])
    raise FormatError("the bundle has neither a dsseEnvelope nor a messageSignature")


def decode_base64(text: object, what: str) -> bytes:
    """Standard or URL-safe base64 (DSSE allows both); ``FormatError`` naming ``what``."""
    if not isinstance(text, str) or not text:
        raise FormatError(f"{what} is missing")
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{what} is not base64") from None


def _dsse(envelope: dict[str, Any]) -> DsseBundle:
    payload_type = envelope.get("payloadType")
    if not isinstance(payload_type, str):
        raise FormatError("the DSSE envelope has no payloadType")
    entries = envelope.get("signatures")
    if not isinstance(entries, list) or not entries:
        raise FormatError("the DSSE envelope has no signatures")
    signatures = tuple(
        decode_base64(entry.get("sig") if isinstance(entry, dict) else None, "a DSSE signature")
        for entry in entries
    )
    payload = decode_base64(envelope.get("payload"), "the DSSE payload")
    return DsseBundle(payload_type, payload, signatures)


def _message(signature: dict[str, Any]) -> MessageBundle:
    digest = signature.get("messageDigest")
    if not isinstance(digest, dict):
        raise FormatError("the message signature has no messageDigest")
    return MessageBundle(
        algorithm=str(digest.get("algorithm") or ""),
        message_digest=decode_base64(digest.get("digest"), "the message digest"),
        signature=decode_base64(signature.get("signature"), "the message signature"),
    )


def _same_repository(named: str, repository: str, digest: str) -> bool:
    """True when ``named`` (maybe with a tag or digest) is ``repository``, with Hub's
    aliases (``index.docker.io``) taken as Hub; a digest in it must be ``digest``."""
    try:
        signed, expected = parse_reference(named), parse_reference(repository)
    except BadReference:
        return False
    if signed.digest is not None and signed.digest != digest:
        return False
    return (signed.registry_key, signed.path) == (expected.registry_key, expected.path)


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise FormatError(f"the {what} is not JSON") from None
    if not isinstance(document, dict):
        raise FormatError(f"the {what} is not a JSON object")
    return document


def _object(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    if not isinstance(value, dict):
        raise FormatError(f"the payload has no {key!r} object")
    return value
