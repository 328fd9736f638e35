"""``CosignVerifier``: the ``SignatureVerifier`` port for cosign key-based signatures.

For one ``repository@digest`` it discovers the signatures (:mod:`.discovery`), and accepts the
first one that is cryptographically a signature by a configured key (:mod:`.keys`) *and*
claims exactly that digest (and, for simple signing, that repository; see :mod:`.formats`).
The signature is checked before its claims, so the detail says "signed by another key" rather
than what an untrusted payload claims.

Outcome: ``verified``; else ``error`` when a lookup failed (the missing source may have held
the signature); else ``invalid`` when candidates were found; else ``unsigned``. Verified
results are cached per (repository, digest, trusted keys, signature repository) for the
instance's lifetime: content-addressed signatures by a fixed key stay valid. Negative results
are not cached, so a signature pushed later is seen on the next check.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from colibri.domain.ports import Registry
from colibri.domain.refs import ImageRef
from colibri.domain.signatures import SignatureResult, SignatureStatus
from colibri.scan.cosign.discovery import BundleBlob, Discovery, Malformed, SimpleSigning, discover
from colibri.scan.cosign.formats import (
    DsseBundle,
    FormatError,
    MessageBundle,
    check_message_digest,
    check_simple_signing,
    check_statement,
    pae,
    parse_bundle,
)
from colibri.scan.cosign.keys import TrustedKey

__all__ = ["CosignVerifier"]

logger = logging.getLogger(__name__)

_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_DETAIL_MAX = 5


@dataclass(frozen=True, slots=True)
class _Accepted:
    signer: str
    format: str
    source: str


class CosignVerifier:
    """Verifies cosign signatures against ``keys``, looking them up through ``registry``."""

    def __init__(
        self,
        registry: Registry,
        keys: Sequence[TrustedKey],
        *,
        signature_repository: ImageRef | None = None,
    ) -> None:
        if not keys:
            raise ValueError("CosignVerifier needs at least one trusted key")
        self.registry = registry
        self.keys = tuple(keys)
        self.signature_repository = signature_repository
        trust = [key.fingerprint for key in self.keys]
        trust.append(signature_repository.name if signature_repository else "")
        self.trust_id = hashlib.sha256("\n".join(sorted(trust)).encode()).hexdigest()[:16]
        self._verified: dict[tuple[str, str, str, str], SignatureResult] = {}
        self._lock = threading.Lock()

    def verify(self, ref: ImageRef, digest: str) -> SignatureResult:
        """Check ``<ref's repository>@<digest>``; never raises for signature problems."""
        key = (ref.registry_key, ref.path, digest, self.trust_id)
        with self._lock:
            cached = self._verified.get(key)
        if cached is not None:
            return cached
        if not _DIGEST_RE.fullmatch(digest):
            detail = f"{digest!r} is not a sha256/sha512 digest"
            return SignatureResult(SignatureStatus.ERROR, ref.name, digest, detail=detail)
        found = discover(self.registry, ref, digest, self.signature_repository)
        result = self._judge(ref, digest, found)
        logger.info("signature of %s@%s: %s", ref.name, digest, result.status)
        if result.verified:
            with self._lock:
                self._verified[key] = result
        return result

    def _judge(self, ref: ImageRef, digest: str, found: Discovery) -> SignatureResult:
        problems: list[str] = []
        for candidate in found.candidates:
            outcome = self._check(candidate, digest, ref.name)
            if isinstance(outcome, _Accepted):
                return SignatureResult(
                    SignatureStatus.VERIFIED,
                    ref.name,
                    digest,
                    signer=outcome.signer,
                    source=outcome.source,
                    format=outcome.format,
                    checked=len(found.candidates),
                )
            problems.append(f"{candidate.source}: {outcome}")
        if found.errors:
            status = SignatureStatus.ERROR
            problems = [*(f"lookup failed, {error}" for error in found.errors), *problems]
        elif found.candidates:
            status = SignatureStatus.INVALID
        else:
            status = SignatureStatus.UNSIGNED
            problems = ["no referrer bundle and no .sig tag"]
        detail = "; ".join(problems[:_DETAIL_MAX])
        if len(problems) > _DETAIL_MAX:
            detail += f"; +{len(problems) - _DETAIL_MAX} more"
        return SignatureResult(
            status, ref.name, digest, detail=detail, checked=len(found.candidates)
        )

    def _check(
        self, candidate: SimpleSigning | BundleBlob | Malformed, digest: str, repository: str
    ) -> _Accepted | str:
        """The accepted signature, or why this candidate does not count."""
        if isinstance(candidate, Malformed):
            return candidate.problem
        try:
            if isinstance(candidate, SimpleSigning):
                signer = self._signer(candidate.signature, candidate.payload)
                check_simple_signing(candidate.payload, digest, repository)
                return _Accepted(signer, "simplesigning", candidate.source)
            bundle = parse_bundle(candidate.data)
            if isinstance(bundle, DsseBundle):
                return _Accepted(self._dsse(bundle, digest), "bundle-dsse", candidate.source)
            return _Accepted(self._message(bundle, digest), "bundle-message", candidate.source)
        except FormatError as exc:
            return str(exc)

    def _signer(self, signature: bytes, message: bytes) -> str:
        for key in self.keys:
            if key.verify(signature, message):
                return key.fingerprint
        raise FormatError("not signed by a trusted key")

    def _dsse(self, bundle: DsseBundle, digest: str) -> str:
        signed = pae(bundle.payload_type, bundle.payload)
        signer = next(
            (
                key.fingerprint
                for signature in bundle.signatures
                for key in self.keys
                if key.verify(signature, signed)
            ),
            None,
        )
        if signer is None:
            raise FormatError("not signed by a trusted key")
        if bundle.payload_type != "application/vnd.in-toto+json":
            raise FormatError(f"signed payload type {bundle.payload_type!r} is not in-toto")
        check_statement(bundle.payload, digest)
        return signer

    def _message(self, bundle: MessageBundle, digest: str) -> str:
        for key in self.keys:
            if key.verify_digest(bundle.signature, bundle.message_digest):
                check_message_digest(bundle, digest)
                return key.fingerprint
        raise FormatError("not signed by a trusted key")
