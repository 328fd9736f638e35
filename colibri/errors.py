"""Every error Colibri raises on purpose, as one hierarchy.

Adapters translate what their libraries raise (httpx, the Docker SDK, SQLAlchemy, subprocess)
into these classes at their boundary, so the layers above only ever catch ``ColibriError``::

    ColibriError
     ├── ConfigError                 a setting or environment variable is invalid (names it)
     ├── BadReference                an image reference does not follow the grammar
     ├── RegistryError               a registry answered something we cannot use
     │    ├── RegistryAuthError      credentials missing or refused (kind auth / auth_required)
     │    ├── ManifestUnknown        the tag or digest does not exist (404 confirmed)
     │    ├── DigestMismatch         the body does not hash to the digest it was served as
     │    ├── UnsupportedManifest    schema1 or another media type we refuse to act on
     │    ├── RegistryProtocolError  malformed answer: garbage JSON, missing fields, bad header
     │    └── RegistryUnavailable    transient: network, timeout, 5xx  -> deferred, retried later
     │         └── RateLimited       429 / quota exhausted, with the time to wait
     ├── CredentialError             a credential helper or config.json could not be read
     ├── EngineError                 the Docker daemon refused or failed a call
     │    ├── EngineUnavailable      the daemon cannot be reached (socket gone, timeout)
     │    ├── EngineNotFound         no such container / image / network
     │    ├── EngineConflict         name already in use, container in the wrong state
     │    └── PullFailed             the pull stream reported an error (even under HTTP 200)
     ├── ScanError                   a scanner is missing, crashed, timed out or printed garbage
     ├── SignatureError              a signature could not be looked up or verified
     ├── StoreError                  the database refused or failed
     │    └── LockHeld               another update of the same container is running
     ├── UpdateError                 an update step failed (carries the step name)
     └── NotifyError                 a notification target failed (``permanent`` says retry or not)

Every class carries a short machine ``kind`` (used in results as ``error(kind)``) and says
whether the condition is ``transient`` (a later attempt may succeed: report ``deferred``).
"""

from __future__ import annotations

__all__ = [
    "BadReference",
    "ColibriError",
    "ConfigError",
    "CredentialError",
    "DigestMismatch",
    "EngineConflict",
    "EngineError",
    "EngineNotFound",
    "EngineUnavailable",
    "LockHeld",
    "ManifestUnknown",
    "NotifyError",
    "PullFailed",
    "RateLimited",
    "RegistryAuthError",
    "RegistryError",
    "RegistryProtocolError",
    "RegistryUnavailable",
    "ScanError",
    "SignatureError",
    "StoreError",
    "UnitError",
    "UnsupportedManifest",
    "UpdateError",
]


class ColibriError(Exception):
    """Root of every error Colibri raises on purpose.

    Catch this at an entry point (CLI command, API route, scheduler tick) to turn any expected
    failure into a result or a message; anything else is a bug and keeps its traceback.
    """

    kind: str = "error"
    transient: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ColibriError):
    """A setting is invalid. The message names the variable or label and what was wrong."""

    kind = "config"


class BadReference(ColibriError):
    """An image reference does not follow the distribution/reference grammar."""

    kind = "bad_reference"


class RegistryError(ColibriError):
    """A registry answered in a way that does not let us decide. Never a reason to pull."""

    kind = "registry"

    def __init__(self, message: str, *, registry: str = "") -> None:
        super().__init__(message)
        self.registry = registry


class RegistryAuthError(RegistryError):
    """Credentials are missing (``auth_required``) or were refused (``auth``)."""

    kind = "auth"

    def __init__(self, message: str, *, registry: str = "", required: bool = False) -> None:
        super().__init__(message, registry=registry)
        if required:
            self.kind = "auth_required"


class ManifestUnknown(RegistryError):
    """The registry confirmed the tag or digest does not exist."""

    kind = "manifest_unknown"


class DigestMismatch(RegistryError):
    """A manifest body does not hash to the digest the registry served it as."""

    kind = "digest_mismatch"


class UnsupportedManifest(RegistryError):
    """A manifest media type we refuse to act on (schema1, unknown types)."""

    kind = "unsupported_manifest"


class RegistryProtocolError(RegistryError):
    """The answer is malformed: unparsable JSON, missing fields, impossible headers."""

    kind = "bad_response"


class RegistryUnavailable(RegistryError):
    """Network failure, timeout or 5xx: try again in a later cycle."""

    kind = "unavailable"
    transient = True


class RateLimited(RegistryUnavailable):
    """The registry asked us to slow down (429, or quota exhausted)."""

    kind = "rate_limited"

    def __init__(self, message: str, *, registry: str = "", retry_after: float = 0.0) -> None:
        super().__init__(message, registry=registry)
        self.retry_after = retry_after


class CredentialError(ColibriError):
    """Docker's config.json or a credential helper could not be read."""

    kind = "credentials"


class EngineError(ColibriError):
    """The Docker daemon refused or failed a call."""

    kind = "engine"


class EngineUnavailable(EngineError):
    """The daemon cannot be reached."""

    kind = "engine_unavailable"
    transient = True


class EngineNotFound(EngineError):
    """No such container, image or network."""

    kind = "not_found"


class EngineConflict(EngineError):
    """A name is already in use or an object is in the wrong state."""

    kind = "conflict"


class PullFailed(EngineError):
    """The pull stream reported an error."""

    kind = "pull_failed"


class UnitError(EngineError):
    """systemd refused a unit's restart, its job failed to end, or the bus is unreachable."""

    kind = "unit"


class ScanError(ColibriError):
    """A scanner could not produce a usable report."""

    kind = "scan_failed"


class SignatureError(ColibriError):
    """A signature could not be looked up or verified."""

    kind = "signature"


class StoreError(ColibriError):
    """The database refused or failed."""

    kind = "store"


class LockHeld(StoreError):
    """Another update of the same container holds its lock."""

    kind = "locked"
    transient = True


class UpdateError(ColibriError):
    """An update step failed."""

    kind = "update_failed"

    def __init__(self, message: str, *, step: str = "") -> None:
        super().__init__(message)
        self.step = step


class NotifyError(ColibriError):
    """A notification target failed; ``permanent`` failures are not retried."""

    kind = "notify"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
