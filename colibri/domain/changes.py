"""What an update changes, read from the OCI annotations both images carry as labels.

``org.opencontainers.image.version``, ``.revision``, ``.source``, ``.url`` and ``.created`` of
the running image and of the candidate give the old and new version, the candidate's age, and,
when the source is a forge Colibri knows, a link to read before saying yes: the candidate's
release page (when it names a version) and the compare view between the two revisions (when
both are known and differ). Links are built from the labels alone, without any request:

============================  ==================================  ==============================
forge                         release page                        compare view
============================  ==================================  ==============================
GitHub (``github.com``)       ``/releases/tag/<version>``         ``/compare/<old>...<new>``
GitLab (``gitlab.com``, or    ``/-/releases/<version>``           ``/-/compare/<old>...<new>``
a host named ``gitlab.*``)
Codeberg, Gitea, Forgejo      ``/releases/tag/<version>``         ``/compare/<old>...<new>``
============================  ==================================  ==============================

The version label is used as written; a project whose git tags add a ``v`` the label lacks
gets a release link that its forge redirects or answers 404 for, which is why the compare link
(revisions are exact) comes first when both exist.

The update kind is ``digest`` when the tag stays and its image changed, else ``patch``,
``minor`` or ``major`` by the first numeric component that differs between the two tags;
``None`` when they cannot be compared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlsplit

from colibri.domain.image_age import parse_created
from colibri.domain.versions import parse_tag

__all__ = [
    "CREATED_LABEL",
    "REVISION_LABEL",
    "SOURCE_LABEL",
    "URL_LABEL",
    "VERSION_LABEL",
    "Changes",
    "Forge",
    "UpdateKind",
    "describe_changes",
    "forge_of",
    "update_kind",
]

VERSION_LABEL = "org.opencontainers.image.version"
REVISION_LABEL = "org.opencontainers.image.revision"
SOURCE_LABEL = "org.opencontainers.image.source"
URL_LABEL = "org.opencontainers.image.url"
CREATED_LABEL = "org.opencontainers.image.created"
_GITEA_HOSTS = frozenset({"codeberg.org", "gitea.com", "gitea.io", "next.forgejo.org"})
_SSH_RE = re.compile(r"(?:ssh://)?git@([^:/]+)[:/](.+)")
_REVISION_RE = re.compile(r"[0-9a-zA-Z._/-]{1,128}")


class UpdateKind(StrEnum):
    DIGEST = "digest"
    PATCH = "patch"
    MINOR = "minor"
    MAJOR = "major"


class ForgeKind(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    GITEA = "gitea"


@dataclass(frozen=True, slots=True)
class Forge:
    """A repository on a known forge: ``base`` is ``https://host/owner/repo``."""

    kind: ForgeKind
    base: str

    def release_url(self, version: str) -> str:
        middle = "/-/releases/" if self.kind is ForgeKind.GITLAB else "/releases/tag/"
        return f"{self.base}{middle}{quote(version, safe='')}"

    def compare_url(self, old: str, new: str) -> str:
        middle = "/-/compare/" if self.kind is ForgeKind.GITLAB else "/compare/"
        return f"{self.base}{middle}{quote(old, safe='')}...{quote(new, safe='')}"


@dataclass(frozen=True, slots=True)
class Changes:
    """What the labels say about an update (every field ``None`` when unknown)."""

    old_version: str | None = None
    new_version: str | None = None
    old_revision: str | None = None
    new_revision: str | None = None
    source: str | None = None
    created: datetime | None = None
    age: timedelta | None = None
    release_url: str | None = None
    compare_url: str | None = None
    kind: UpdateKind | None = None

    @property
    def link(self) -> str | None:
        """The one link to show: the compare view, else the release page."""
        return self.compare_url or self.release_url

    def as_dict(self) -> dict[str, object]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "old_revision": self.old_revision,
            "new_revision": self.new_revision,
            "source": self.source,
            "created": self.created.isoformat() if self.created else None,
            "age_seconds": int(self.age.total_seconds()) if self.age is not None else None,
            "release_url": self.release_url,
            "compare_url": self.compare_url,
            "kind": self.kind.value if self.kind else None,
        }

    def summary(self) -> str:
        """One line for people: ``1.27.0 -> 1.28.0 (minor, built 3d ago) <link>``."""
        parts = []
        if self.old_version or self.new_version:
            parts.append(f"{self.old_version or '?'} -> {self.new_version or '?'}")
        details = [self.kind.value] if self.kind else []
        if self.age is not None:
            details.append(f"built {_ago(self.age)} ago")
        if details:
            parts.append(f"({', '.join(details)})")
        if self.link:
            parts.append(self.link)
        return " ".join(parts)


def forge_of(source: str | None) -> Forge | None:
    """The forge repository a source or URL label names, if it is on a known forge."""
    if not source:
        return None
    text = source.strip().removeprefix("git+")
    ssh = _SSH_RE.fullmatch(text)
    if ssh is not None:
        text = f"https://{ssh[1]}/{ssh[2]}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    kind = _forge_kind(host)
    segments = [segment for segment in parts.path.split("/") if segment]
    if kind is None or len(segments) < 2:
        return None
    if kind is ForgeKind.GITLAB:  # groups nest; /-/ starts GitLab's own pages
        segments = segments[: segments.index("-")] if "-" in segments else segments
    else:
        segments = segments[:2]
    if len(segments) < 2:
        return None
    segments[-1] = segments[-1].removesuffix(".git")
    port = f":{parts.port}" if parts.port else ""
    return Forge(kind, f"https://{host}{port}/{'/'.join(segments)}")


def _forge_kind(host: str) -> ForgeKind | None:
    if host in ("github.com", "www.github.com"):
        return ForgeKind.GITHUB
    if host == "gitlab.com" or host.startswith("gitlab."):
        return ForgeKind.GITLAB
    if host in _GITEA_HOSTS or host.startswith(("gitea.", "forgejo.")):
        return ForgeKind.GITEA
    return None


def update_kind(current_tag: str | None, target_tag: str | None) -> UpdateKind | None:
    """``digest`` for the same tag, else the size of the version step (module docstring)."""
    if target_tag is None or target_tag == current_tag:
        return UpdateKind.DIGEST
    return _step(current_tag, target_tag)


def _step(old: str | None, new: str | None) -> UpdateKind | None:
    before, after = parse_tag(old or ""), parse_tag(new or "")
    if before is None or after is None or before.key == after.key:
        return None
    for index, kind in enumerate((UpdateKind.MAJOR, UpdateKind.MINOR)):
        if _part(before.core, index) != _part(after.core, index):
            return kind
    return UpdateKind.PATCH


def _part(core: tuple[int, ...], index: int) -> int:
    return core[index] if index < len(core) else 0


def describe_changes(
    old_labels: Mapping[str, str],
    new_labels: Mapping[str, str],
    *,
    now: datetime,
    new_created: datetime | None = None,
    current_tag: str | None = None,
    target_tag: str | None = None,
) -> Changes:
    """What changed from the image with ``old_labels`` to the one with ``new_labels``.
    ``new_created`` is the candidate configuration's ``created`` (preferred over its label)."""
    old_version = _clean(old_labels.get(VERSION_LABEL))
    new_version = _clean(new_labels.get(VERSION_LABEL)) or target_tag
    old_revision = _revision(old_labels.get(REVISION_LABEL))
    new_revision = _revision(new_labels.get(REVISION_LABEL))
    source = _clean(new_labels.get(SOURCE_LABEL)) or _clean(new_labels.get(URL_LABEL))
    forge = forge_of(source) or forge_of(_clean(new_labels.get(URL_LABEL)))
    created = new_created or parse_created(new_labels.get(CREATED_LABEL))
    compare = None
    if forge and old_revision and new_revision and old_revision != new_revision:
        compare = forge.compare_url(old_revision, new_revision)
    release = forge.release_url(new_version) if forge and new_version else None
    return Changes(
        old_version=old_version or (current_tag if target_tag else None),
        new_version=new_version,
        old_revision=old_revision,
        new_revision=new_revision,
        source=source,
        created=created,
        age=max(now - created, timedelta(0)) if created else None,
        release_url=release,
        compare_url=compare,
        kind=update_kind(current_tag, target_tag),
    )


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text[:256] or None


def _revision(value: str | None) -> str | None:
    text = _clean(value)
    return text if text and _REVISION_RE.fullmatch(text) else None


def _ago(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
