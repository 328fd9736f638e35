"""Trusted public keys (cosign ``cosign.pub`` files): ECDSA, RSA and Ed25519, from PEM.

Cosign's key-based signatures are, by key type (as sigstore's ``LoadVerifier`` does with the
SHA-256 cosign always passes):

* ECDSA (P-256 usually; P-384 and P-521 accepted): ASN.1 DER signature over SHA-256;
* RSA: PKCS #1 v1.5 over SHA-256 (at least 2048 bits);
* Ed25519: pure Ed25519 over the message itself (so it cannot verify a message digest).

A key's fingerprint is ``sha256:<hex>`` of its DER SubjectPublicKeyInfo: what results and
caches name it by.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from colibri.errors import ConfigError

__all__ = ["TrustedKey", "load_public_keys"]

_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)
_MIN_RSA_BITS = 2048
_SHA256_LENGTH = 32

VerifyKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One public key signatures are checked against."""

    key: VerifyKey = field(repr=False)
    fingerprint: str
    algorithm: str

    @classmethod
    def from_public_key(cls, key: PublicKeyTypes, source: str) -> TrustedKey:
        """Wrap a loaded key; ``ConfigError`` for a type or size cosign does not sign with."""
        if isinstance(key, ec.EllipticCurvePublicKey):
            algorithm = f"ecdsa-{key.curve.name}"
        elif isinstance(key, rsa.RSAPublicKey):
            if key.key_size < _MIN_RSA_BITS:
                raise ConfigError(f"{source}: RSA key of {key.key_size} bits is too weak")
            algorithm = f"rsa-{key.key_size}"
        elif isinstance(key, ed25519.Ed25519PublicKey):
            algorithm = "ed25519"
        else:
            raise ConfigError(f"{source}: unsupported key type {type(key).__name__}")
        der = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(key, f"sha256:{hashlib.sha256(der).hexdigest()}", algorithm)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is this key's signature over ``message``."""
        try:
            if isinstance(self.key, ec.EllipticCurvePublicKey):
                self.key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            elif isinstance(self.key, rsa.RSAPublicKey):
                self.key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            else:
                self.key.verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def verify_digest(self, signature: bytes, sha256: bytes) -> bool:
        """True when ``signature`` signs the message whose SHA-256 is ``sha256`` (a
        message-signature bundle). Ed25519 signs messages, not digests: always False."""
        if len(sha256) != _SHA256_LENGTH:
            return False
        prehashed = utils.Prehashed(hashes.SHA256())
        try:
            if isinstance(self.key, ec.EllipticCurvePublicKey):
                self.key.verify(signature, sha256, ec.ECDSA(prehashed))
            elif isinstance(self.key, rsa.RSAPublicKey):
                self.key.verify(signature, sha256, padding.PKCS1v15(), prehashed)
            else:
                return False
        except (InvalidSignature, ValueError):
            return False
        return True


def load_public_keys(pem: bytes, source: str) -> tuple[TrustedKey, ...]:
    """Every ``PUBLIC KEY`` block of a PEM file (one key, or several concatenated).

    ``ConfigError`` names ``source`` when there is none or one cannot be read: a gate that
    requires signatures must not start with a key it cannot use.
    """
    blocks = _PEM_BLOCK.findall(pem)
    if not blocks:
        raise ConfigError(f"{source}: no PEM 'PUBLIC KEY' block (expected a cosign.pub file)")
    keys = []
    for number, block in enumerate(blocks, start=1):
        try:
            loaded = serialization.load_pem_public_key(block)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise ConfigError(f"{source}: public key {number} cannot be read ({exc})") from None
        keys.append(TrustedKey.from_public_key(loaded, f"{source}: public key {number}"))
    return tuple(keys)
