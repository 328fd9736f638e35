"""A tiny cosign stand-in: signs images in the test registry exactly as cosign lays them out.

No cosign binary exists here, so the tests sign with real keys (``cryptography``) and push the
signatures through the registry API:

* :meth:`CosignSigner.push_sig`: cosign ≤ v2's ``sha256-<hex>.sig`` tag, an OCI manifest
  whose layer is the simple-signing payload with the base64 signature in the layer annotation
  ``dev.cosignproject.cosign/signature``;
* :meth:`CosignSigner.push_bundle`: cosign v3's sigstore bundle (DSSE over an in-toto
  statement, or a message signature over the manifest digest) as a referrer manifest with
  ``subject``, listed in the referrers tag schema index ``sha256-<hex>`` (the test registry
  has no referrers API).

Every knob a negative test needs is a keyword: sign one payload and upload another, name
another digest or repository, another predicate type, another key.

Usage::

    def test_it(registry, cosign_signer):
        image = registry.push_image("app", "1", runnable=False)
        cosign_signer.push_sig(registry, "app", image.digest)
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

if TYPE_CHECKING:  # importing it here would import the Docker fixtures before pytest does
    from tests.support.registry import RegistryServer

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
IN_TOTO = "application/vnd.in-toto+json"
SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def simple_signing_payload(
    digest: str, repository: str, *, kind: str = "cosign container image signature"
) -> bytes:
    """The payload cosign signs for ``repository@digest`` (as its Go code lays it out)."""
    document = {
        "critical": {
            "identity": {"docker-reference": repository},
            "image": {"docker-manifest-digest": digest},
            "type": kind,
        },
        "optional": None,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def statement(digest: str, *, predicate: str = SIGN_PREDICATE) -> bytes:
    """cosign v3's in-toto statement for ``digest``."""
    algorithm, _, hexdigest = digest.partition(":")
    document = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {algorithm: hexdigest}, "annotations": {}}],
        "predicateType": predicate,
        "predicate": {},
    }
    return json.dumps(document).encode()


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class CosignSigner:
    """A key pair and the ways cosign attaches signatures made with it."""

    key: PrivateKey

    @classmethod
    def generate(cls, kind: str = "ecdsa") -> CosignSigner:
        if kind == "ecdsa":
            return cls(ec.generate_private_key(ec.SECP256R1()))
        if kind == "rsa":
            return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        if kind == "ed25519":
            return cls(ed25519.Ed25519PrivateKey.generate())
        raise ValueError(kind)

    @property
    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def fingerprint(self) -> str:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return "sha256:" + hashlib.sha256(der).hexdigest()

    def write_public_key(self, path: Path) -> Path:
        path.write_bytes(self.public_pem)
        return path

    def sign(self, data: bytes) -> bytes:
        """What cosign's signer does with a message (ECDSA/RSA over SHA-256, pure Ed25519)."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(data)

    def sign_digest(self, sha256: bytes) -> bytes:
        """A signature over a message known only by its SHA-256 (ECDSA/RSA only)."""
        prehashed = utils.Prehashed(hashes.SHA256())
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(sha256, ec.ECDSA(prehashed))
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(sha256, padding.PKCS1v15(), prehashed)
        raise TypeError("Ed25519 cannot sign a digest")

    # -- cosign <= v2: the .sig tag ----------------------------------------------------------

    def push_sig(
        self,
        registry: RegistryServer,
        repository: str,
        digest: str,
        *,
        payload: bytes | None = None,
        uploaded: bytes | None = None,
        signature: bytes | None = None,
        signed_by: CosignSigner | None = None,
        signature_repository: str | None = None,
    ) -> str:
        """Sign ``repository@digest`` and push its ``sha256-<hex>.sig`` manifest.

        ``payload`` replaces the payload that is signed (default: the correct one);
        ``uploaded`` is what is uploaded instead (a tampered payload); ``signature`` replaces
        the signature; ``signed_by`` signs with another key; ``signature_repository`` pushes
        to another repository (cosign's ``COSIGN_REPOSITORY``).
        """
        payload = payload or simple_signing_payload(digest, f"{registry.host}/{repository}")
        signature = signature or (signed_by or self).sign(payload)
        target = signature_repository or repository
        layers = [(uploaded or payload, signature)]
        return _push_sig_manifest(registry, target, digest, layers)

    # -- cosign v3: a bundle referrer ----------------------------------------------------------

    def push_bundle(
        self,
        registry: RegistryServer,
        repository: str,
        digest: str,
        *,
        subject: str | None = None,
        predicate: str = SIGN_PREDICATE,
        message: bool = False,
        signed_by: CosignSigner | None = None,
    ) -> str:
        """Sign ``digest`` as cosign v3 does and attach the bundle as a referrer of it.

        ``subject`` is the digest the signature claims (default ``digest``); ``predicate``
        the statement's predicate type; ``message`` makes a message-signature bundle over the
        manifest digest instead of a DSSE envelope.
        """
        claimed = subject or digest
        signer = signed_by or self
        if message:
            bundle = signer._message_bundle(claimed)
        else:
            bundle = signer._dsse_bundle(statement(claimed, predicate=predicate))
        return _push_referrer(registry, repository, digest, bundle, predicate)

    def _dsse_bundle(self, payload: bytes) -> dict[str, Any]:
        envelope = {
            "payload": b64(payload),
            "payloadType": IN_TOTO,
            "signatures": [{"sig": b64(self.sign(pae(IN_TOTO, payload))), "keyid": ""}],
        }
        return {
            "mediaType": BUNDLE,
            "verificationMaterial": {"publicKey": {"hint": self.fingerprint}, "tlogEntries": []},
            "dsseEnvelope": envelope,
        }

    def _message_bundle(self, digest: str) -> dict[str, Any]:
        raw = bytes.fromhex(digest.partition(":")[2])
        return {
            "mediaType": BUNDLE,
            "verificationMaterial": {"publicKey": {"hint": self.fingerprint}, "tlogEntries": []},
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64(raw)},
                "signature": b64(self.sign_digest(raw)),
            },
        }


def _push_sig_manifest(
    registry: RegistryServer, repository: str, digest: str, layers: list[tuple[bytes, bytes]]
) -> str:
    descriptors = []
    for payload, signature in layers:
        descriptors.append(
            {
                "mediaType": SIMPLE_SIGNING,
                "digest": registry.push_blob(repository, payload),
                "size": len(payload),
                "annotations": {SIGNATURE_ANNOTATION: b64(signature)},
            }
        )
    config = json.dumps(
        {
            "architecture": "",
            "os": "",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descriptors]},
        }
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": registry.push_blob(repository, config),
            "size": len(config),
        },
        "layers": descriptors,
    }
    tag = digest.replace(":", "-", 1) + ".sig"
    return registry.push_manifest(repository, tag, json.dumps(manifest).encode(), OCI_MANIFEST)


def _push_referrer(
    registry: RegistryServer,
    repository: str,
    digest: str,
    bundle: dict[str, Any],
    predicate: str,
) -> str:
    """The bundle blob, its referrer manifest, and the referrers-tag index listing it."""
    data = json.dumps(bundle).encode()
    empty = registry.push_blob(repository, b"{}")
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE,
        "config": {"mediaType": EMPTY_CONFIG, "digest": empty, "size": 2},
        "layers": [
            {"mediaType": BUNDLE, "digest": registry.push_blob(repository, data), "size": len(data)}
        ],
        "subject": {"mediaType": OCI_MANIFEST, "digest": digest, "size": 0},
    }
    body = json.dumps(manifest).encode()
    reference = "sha256:" + hashlib.sha256(body).hexdigest()
    referrer = registry.push_manifest(repository, reference, body, OCI_MANIFEST)
    entry = {
        "mediaType": OCI_MANIFEST,
        "digest": referrer,
        "size": len(body),
        "artifactType": BUNDLE,
        "annotations": {"dev.sigstore.bundle.predicateType": predicate},
    }
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}
    tag = digest.replace(":", "-", 1)
    registry.push_manifest(repository, tag, json.dumps(index).encode(), OCI_INDEX)
    return referrer


@pytest.fixture(scope="session")
def cosign_signer() -> CosignSigner:
    """The trusted test key pair (ECDSA P-256, as ``cosign generate-key-pair`` makes)."""
    return CosignSigner.generate("ecdsa")


@pytest.fixture(scope="session")
def other_signer() -> CosignSigner:
    """A key nobody trusts."""
    return CosignSigner.generate("ecdsa")
