"""What every scanner adapter does the same way: name the target, read the output, bind digests.

* The target is always ``<repository>@<digest>``: the exact manifest that will run, never a tag.
* The output decides, never the exit code: scanners exit non-zero for findings when asked to
  (``--exit-code``, ``--fail-on``) and exit 1 for real errors, so a parsable report is used
  whatever the exit status, and only a non-zero exit *without* one is a failure (with stderr's
  tail in the message, as that is where scanners explain themselves).
* The report must be about the digest we asked for when it names digests at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from colibri.domain.refs import parse_reference
from colibri.errors import BadReference, ScanError
from colibri.scan._process import Completed

__all__ = [
    "META_TIMEOUT",
    "ImageSource",
    "ScanTarget",
    "check_digest",
    "merged_env",
    "read_output",
    "scan_target",
]

logger = logging.getLogger(__name__)

#: Version and DB queries are instant; one that hangs must not hold the scan lock for long.
META_TIMEOUT = 60.0
_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_T = TypeVar("_T")


class ImageSource(StrEnum):
    """Where a scanner reads the image from.

    ``docker``: the local daemon, after the update has pulled the digest (Trivy
    ``--image-src docker``, Grype ``docker:``). ``remote``: straight from the registry, no daemon
    needed (Trivy ``--image-src remote``, Grype ``registry:``).
    """

    DOCKER = "docker"
    REMOTE = "remote"


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """The repository (normalised, ``docker.io/library/nginx``) and the digest to scan."""

    repository: str
    digest: str

    @property
    def ref(self) -> str:
        return f"{self.repository}@{self.digest}"


def scan_target(image: str, digest: str) -> ScanTarget:
    """Validate the request: a well-formed reference for the repository and a real digest."""
    if not _DIGEST_RE.fullmatch(digest):
        raise ScanError(f"refusing to scan {image!r}: {digest!r} is not a sha256/sha512 digest")
    try:
        ref = parse_reference(image)
    except BadReference as exc:
        raise ScanError(f"refusing to scan {image!r}: {exc}") from None
    if ref.digest is not None and ref.digest != digest:
        raise ScanError(f"refusing to scan {image!r}: it names {ref.digest}, not {digest}")
    return ScanTarget(ref.name, digest)


def read_output(result: Completed, parse: Callable[[bytes], _T], *, name: str) -> _T:
    """Parse a scanner's stdout, whatever its exit status; explain failures with stderr."""
    try:
        parsed = parse(result.stdout)
    except ScanError as exc:
        if result.returncode == 0:
            raise
        raise ScanError(
            f"{name} exited with status {result.returncode} and no usable output ({exc}); "
            f"stderr: {result.stderr_tail() or '(empty)'}"
        ) from exc
    if result.returncode != 0:
        logger.warning("%s exited %s but printed a valid report", name, result.returncode)
    return parsed


def check_digest(named: Iterable[str], target: ScanTarget, *, name: str) -> None:
    """Fail when the report names digests and none is the one we asked for."""
    digests = {entry.rpartition("@")[2] for entry in named if entry}
    if digests and target.digest not in digests:
        listed = ", ".join(sorted(digests))
        raise ScanError(f"{name} scanned {listed}, but {target.ref} was asked for")


def merged_env(base: Mapping[str, str], *layers: Mapping[str, str]) -> dict[str, str]:
    """``base`` (the process environment) with each layer's variables set over it."""
    env = dict(base)
    for layer in layers:
        env.update(layer)
    return env
