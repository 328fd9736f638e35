"""Cosign key-based signature verification in Python, behind the ``SignatureVerifier`` port.

No ``cosign`` binary is needed: signatures are looked up through the registry client (OCI
referrers, the referrers tag, the legacy ``sha256-<hex>.sig`` tag) and verified with
``cryptography`` against the configured public keys (ECDSA, RSA, Ed25519)::

    keys = load_public_keys(Path("cosign.pub").read_bytes(), "cosign.pub")
    verifier = CosignVerifier(registry, keys)
    result = verifier.verify(parse_reference("ghcr.io/org/app"), "sha256:…")

Both the simple-signing format (cosign ≤ v2) and sigstore bundles (cosign v3, DSSE or message
signature) are understood; see :mod:`.formats` for what each one proves. Keyless
(certificate + transparency log) signatures are not supported: they are reported as signed by
no trusted key.
"""

from __future__ import annotations

from colibri.scan.cosign.keys import TrustedKey, load_public_keys
from colibri.scan.cosign.verifier import CosignVerifier

__all__ = ["CosignVerifier", "TrustedKey", "load_public_keys"]
