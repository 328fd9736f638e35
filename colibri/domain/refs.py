"""Image references: the distribution/reference grammar and Docker's normalisation.

A container's ``Config.Image`` is parsed exactly as Docker parses it, so that a registry port is
never mistaken for a tag (``localhost:5000/app`` has tag ``latest``), short Hub names get
``docker.io/library/``, and ``name:tag@digest`` keeps both parts: the tag is what we track, the
digest is what runs.

The grammar (from distribution/reference)::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [domain "/"] path            (the path at most 255 characters)
    domain     := host [":" port]               host: DNS name, IPv4 or "[" IPv6 "]"
    path       := component ("/" component)*    component: [a-z0-9]+ ([_.]|__|-+ [a-z0-9]+)*
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex             algorithm: [A-Za-z][A-Za-z0-9]* ([+._-] ...)*,
                                                hex: at least 32 characters

Three rules come from the code around the grammar rather than the grammar itself, as Docker
applies them: the 255-character limit counts the *normalised* path (``library/...``) and not
the domain (``example.com/`` followed by 255 characters is valid); a digest must be of a
registered algorithm and have its exact length in lowercase hex (``sha256`` 64, ``sha384`` 96,
``sha512`` 128; go-digest), any other algorithm is refused although the grammar admits it;
and a bare 64-hex string is an image ID, never a repository name. :meth:`ImageRef.with_tag`
and :meth:`ImageRef.with_digest` check what they are given by the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from colibri.errors import BadReference

__all__ = [
    "DOCKER_HUB",
    "ImageRef",
    "in_repository",
    "is_image_id",
    "parse_reference",
]

DOCKER_HUB = "docker.io"
HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
HUB_API_HOST = "registry-1.docker.io"
DEFAULT_TAG = "latest"
NAME_MAX = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[_.]|__|[-]+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_PATH_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN_RE = re.compile(rf"{_HOST}(?::[0-9]+)?")
_TAG_RE = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_ID_RE = re.compile(r"(?:sha256:)?[0-9a-f]{64}")
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed, normalised image reference.

    ``domain`` is the registry as written (``docker.io`` for Hub, ``localhost:5000``,
    ``[::1]:5000``); ``path`` the repository path (``library/nginx``); ``tag`` and ``digest``
    are ``None`` when absent. ``tag`` is only defaulted to ``latest`` by :attr:`tracked_tag`
    when the reference has neither tag nor digest.
    """

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``domain/path``: the repository's full name."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The name as Docker shows it: no ``docker.io/``, no ``library/``.

        Each part is dropped only when the short form parses back to the same repository:
        ``docker.io/library/a/b`` stays ``library/a/b`` and ``docker.io/my.org/app`` keeps its
        domain, since ``my.org/app`` would name another registry.
        """
        if self.domain != DOCKER_HUB or _looks_like_domain(self.path.partition("/")[0]):
            return self.name
        short = self.path.removeprefix("library/")
        return self.path if "/" in short else short

    @property
    def is_hub(self) -> bool:
        """True for Docker Hub under any of its host names."""
        return self.domain.lower() in HUB_ALIASES

    @property
    def hub_alias(self) -> bool:
        """Hub written under another host name (``registry-1.docker.io/redis``).

        Docker keeps such a path as written (no ``library/``), which Hub may not know; callers
        should warn. Credentials and the API endpoint are Hub's all the same.
        """
        return self.is_hub and self.domain != DOCKER_HUB

    @property
    def registry_host(self) -> str:
        """The host[:port] to send registry API requests to."""
        return HUB_API_HOST if self.is_hub else self.domain

    @property
    def registry_key(self) -> str:
        """The host identity for credentials and caches (case-insensitive, port significant)."""
        return DOCKER_HUB if self.is_hub else self.domain.lower()

    @property
    def pinned(self) -> bool:
        """Digest-only: the user asked for exactly this content."""
        return self.digest is not None and self.tag is None

    @property
    def tracked_tag(self) -> str | None:
        """The tag whose movement we follow: the tag, ``latest`` by default, ``None`` if pinned."""
        if self.tag is not None:
            return self.tag
        return None if self.digest is not None else DEFAULT_TAG

    def with_tag(self, tag: str) -> ImageRef:
        """The same repository at another tag, without digest (``BadReference`` when ``tag``
        is not a tag)."""
        if not _TAG_RE.fullmatch(tag):
            raise BadReference(f"invalid tag {tag!r} for {self.name}")
        return ImageRef(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> ImageRef:
        """The same repository at a digest, keeping the tag for display (``BadReference``
        when ``digest`` is not a valid digest)."""
        return ImageRef(self.domain, self.path, self.tag, _checked_digest(digest, self.name))

    def by_digest(self, digest: str) -> ImageRef:
        """The same repository at a digest only (what is pulled)."""
        return ImageRef(self.domain, self.path, None, _checked_digest(digest, self.name))

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def familiar(self) -> str:
        """The short form Docker prints (``nginx:1.27``, ``localhost:5000/app:1``)."""
        text = self.familiar_name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def is_image_id(text: str, image_id: str = "") -> bool:
    """True when ``text`` names an image by ID rather than by repository.

    That is a full ID (``sha256:<64 hex>`` or bare 64 hex), or, when the container's image ID is
    given, a prefix of it (``docker run a08f3d335be7`` stores the short ID as ``Config.Image``).
    """
    if _ID_RE.fullmatch(text):
        return True
    bare_id = image_id.removeprefix("sha256:")
    candidate = text.removeprefix("sha256:")
    return bool(bare_id) and len(candidate) >= 12 and bare_id.startswith(candidate)


def parse_reference(text: str) -> ImageRef:
    """Parse and normalise a reference as Docker does. Raise ``BadReference`` saying why."""
    if not text or text != text.strip():
        raise BadReference(f"invalid reference {text!r}: empty or surrounded by whitespace")
    if _ID_RE.fullmatch(text):
        raise BadReference(f"invalid reference {text!r}: an image ID, not a repository")
    remainder, digest = _split_digest(text)
    name, tag = _split_tag(remainder, text)
    domain, path = _split_domain(name, text)
    if len(path) > NAME_MAX:
        raise BadReference(
            f"invalid reference {text!r}: repository path longer than {NAME_MAX} characters"
        )
    return ImageRef(domain=domain, path=path, tag=tag, digest=digest)


def _split_digest(text: str) -> tuple[str, str | None]:
    name, at, digest = text.partition("@")
    if not at:
        return text, None
    if not _DIGEST_RE.fullmatch(digest) or not _digest_length_ok(digest):
        raise BadReference(
            f"invalid reference {text!r}: malformed digest {digest!r} "
            f"(algorithms: {', '.join(_DIGEST_HEX_LENGTHS)})"
        )
    return name, digest


def _digest_length_ok(digest: str) -> bool:
    """A digest is of a registered algorithm, its exact length in lowercase hex (go-digest)."""
    algorithm, _, encoded = digest.partition(":")
    expected = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        return False
    return len(encoded) == expected and _LOWER_HEX_RE.fullmatch(encoded) is not None


def _checked_digest(digest: str, name: str) -> str:
    if not _DIGEST_RE.fullmatch(digest) or not _digest_length_ok(digest):
        algorithms = ", ".join(_DIGEST_HEX_LENGTHS)
        raise BadReference(
            f"invalid digest {digest!r} for {name}: expected <algorithm>:<lowercase hex> "
            f"of {algorithms}"
        )
    return digest


def _split_tag(remainder: str, text: str) -> tuple[str, str | None]:
    slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    if colon <= slash:
        return remainder, None
    tag = remainder[colon + 1 :]
    if not _TAG_RE.fullmatch(tag):
        raise BadReference(f"invalid reference {text!r}: malformed tag {tag!r}")
    return remainder[:colon], tag


def _split_domain(name: str, text: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if slash and _looks_like_domain(first):
        domain, path = first, rest
        if not _DOMAIN_RE.fullmatch(domain):
            raise BadReference(f"invalid reference {text!r}: malformed registry {domain!r}")
    else:
        domain, path = DOCKER_HUB, name
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if path != path.lower():
        raise BadReference(f"invalid reference {text!r}: repository name must be lowercase")
    if not _PATH_RE.fullmatch(path):
        raise BadReference(f"invalid reference {text!r}: malformed repository path {path!r}")
    return domain, path


def _looks_like_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost" or first != first.lower()


def in_repository(ref: ImageRef, references: Iterable[str]) -> list[str]:
    """Those of ``references`` (an image's RepoTags and RepoDigests) that name ``ref``'s
    repository, compared after normalisation; entries that do not parse are left out."""
    found = []
    for entry in references:
        name = entry.rpartition("@")[0] if "@" in entry else entry.rpartition(":")[0]
        try:
            other = parse_reference(name)
        except BadReference:
            continue
        if other.registry_key == ref.registry_key and other.path == ref.path:
            found.append(entry)
    return found
