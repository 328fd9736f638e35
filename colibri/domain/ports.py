"""The seams between use cases and the outside world, as ``typing.Protocol`` classes.

Use cases (``colibri.services``, ``colibri.update``, ``colibri.scheduler``) see adapters only
through these protocols; ``colibri.bootstrap`` plugs in the concrete ones, tests plug in fakes.
Every method raises a subclass of ``colibri.errors.ColibriError`` on failure, never a library
exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from colibri.domain.model import Container, LocalImage, RemoteManifest
from colibri.domain.refs import ImageRef

__all__ = ["Clock", "Engine", "Registry"]


class Engine(Protocol):
    """One Docker daemon."""

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        """Every container (running ones only unless ``include_stopped``), with the reference
        each was created with (``Config.Image``) even when its tag has since moved."""
        ...

    def get_container(self, name_or_id: str) -> Container:
        """One container by name or ID. Raises ``EngineNotFound``."""
        ...

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        """The raw ``docker inspect`` document. Raises ``EngineNotFound``."""
        ...

    def inspect_image(self, name_or_id: str) -> LocalImage | None:
        """The image by ID or reference, or ``None`` when the daemon has no such image."""
        ...


class Registry(Protocol):
    """The OCI distribution API of every registry, behind one client.

    Implementations authenticate, retry, rate-limit and cache on their own; callers only see
    answers or ``RegistryError`` subclasses (``RegistryUnavailable`` ones are transient).
    """

    def head(self, ref: ImageRef) -> RemoteManifest:
        """What ``ref``'s tag (or digest) points at: digest and media type.

        Uses HEAD, and GET only when the registry sends no digest header (then ``body`` and
        ``children`` are filled in). At most one request per reference per instance lifetime
        for tags answered within the same check run (callers create one client per run or
        call :meth:`forget_tags` between runs)."""
        ...

    def fetch(self, ref: ImageRef) -> RemoteManifest:
        """GET the manifest ``ref`` names, verify its digest, parse an index's children.
        Manifests fetched by digest are cached for the instance's lifetime."""
        ...

    def forget_tags(self) -> None:
        """Drop what was learnt about tags (digests stay cached: they never change)."""
        ...


class Clock(Protocol):
    """Time, injectable so schedules and backoffs are testable."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait."""
        ...

