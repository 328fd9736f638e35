"""Image signature checks as plain values: what was found for one digest, and what it proves.

The verifier (``colibri.scan.cosign``) looks up the signatures of one manifest digest and
checks them against the configured public keys; it reports a :class:`SignatureResult` and
never raises for a missing or bad signature. The gate (``colibri.services.gate``) decides from
the status:

* ``verified``: a signature by a trusted key covers exactly this digest (and, for the legacy
  simple-signing format, names this repository);
* ``unsigned``: nothing that claims to be a signature of this digest was found;
* ``invalid``: signatures were found, but none verifies (another key, another digest, another
  repository, a tampered payload, an attestation rather than a signature);
* ``error``: the lookup itself failed (registry unreachable, malformed answers), so the
  signature may exist: the gate still blocks, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["SignatureResult", "SignatureStatus"]


class SignatureStatus(StrEnum):
    """The outcome of checking one digest's signatures."""

    VERIFIED = "verified"
    UNSIGNED = "unsigned"
    INVALID = "invalid"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SignatureResult:
    """What the signature lookup of ``repository@digest`` found.

    ``signer`` is the fingerprint (``sha256:<hex>`` of the DER public key) of the key that
    verified; ``source`` where the signature came from (``sig-tag``, ``referrers``,
    ``referrers-tag``); ``format`` its format (``simplesigning``, ``bundle-dsse``,
    ``bundle-message``); ``detail`` what was tried and why it failed; ``checked`` how many
    signatures were examined.
    """

    status: SignatureStatus
    repository: str
    digest: str
    signer: str = ""
    source: str = ""
    format: str = ""
    detail: str = ""
    checked: int = 0

    @property
    def verified(self) -> bool:
        return self.status is SignatureStatus.VERIFIED

    def describe(self) -> str:
        """One line for reasons and logs."""
        where = f"{self.repository}@{self.digest}"
        if self.verified:
            return f"{where} is signed by key {self.signer} ({self.format} via {self.source})"
        words = {
            SignatureStatus.UNSIGNED: "has no signature",
            SignatureStatus.INVALID: "has no valid signature",
            SignatureStatus.ERROR: "could not be checked for signatures",
        }
        text = f"{where} {words[self.status]}"
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict form, for the run's details and the API."""
        return {
            "status": self.status.value,
            "repository": self.repository,
            "digest": self.digest,
            "signer": self.signer,
            "source": self.source,
            "format": self.format,
            "detail": self.detail,
            "checked": self.checked,
        }
