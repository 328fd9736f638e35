"""Hands the update of Colibri's own container to a helper container from the new image
(:mod:`colibri.domain.self_update` says why and how); every other container is not its
business.

The helper's image is pulled here first, by the digest that was checked, so the helper runs
exactly the image it installs. What the helper does is the ordinary ``colibri update`` of the
container by name: one pipeline, one journal.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckResult, Container
from colibri.domain.refs import ImageRef
from colibri.domain.self_update import (
    SELF_UPDATE_LABEL,
    container_id_from_mountinfo,
    helper_body,
    helper_name,
    self_update_wanted,
)
from colibri.errors import ColibriError
from colibri.update.model import UpdateOptions, UpdateOutcome

__all__ = ["HelperEngine", "SelfUpdater", "own_container_id"]

log = logging.getLogger(__name__)

RegistryAuth = Callable[[ImageRef], Mapping[str, str] | None]


class HelperEngine(Protocol):
    """What the hand-off needs of :class:`colibri.domain.ports.Engine`."""

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]: ...

    def pull(
        self,
        repository: str,
        digest: str,
        *,
        platform: str | None = None,
        auth: Mapping[str, str] | None = None,
    ) -> None: ...

    def create_container(self, body: Mapping[str, Any], name: str) -> str: ...

    def start_container(self, container_id: str) -> None: ...


def own_container_id(mountinfo: Path = Path("/proc/self/mountinfo")) -> str | None:
    """The ID of the container this process runs in, ``None`` when it runs on a host."""
    try:
        return container_id_from_mountinfo(mountinfo.read_text())
    except OSError:
        return None


class SelfUpdater:
    """Knows Colibri's own container (``own_id``) and starts the helper that updates it on
    the daemon that runs it."""

    def __init__(self, own_id: str, registry_auth: RegistryAuth | None = None) -> None:
        self.own_id = own_id
        self.registry_auth = registry_auth

    def is_own(self, container: Container) -> bool:
        return container.id == self.own_id

    def hand_off(
        self,
        engine: HelperEngine,
        result: CheckResult,
        container: Container,
        ref: ImageRef,
        options: UpdateOptions,
    ) -> UpdateOutcome:
        """Start the helper for Colibri's own ``container``, found out of date by ``result``."""
        wanted = self_update_wanted(container.labels)
        if wanted is None:
            return _outcome(result, RunStatus.FAILED, f"{SELF_UPDATE_LABEL} must be true or false")
        if not wanted:
            reason = (
                f"Colibri's own container: updated only with {SELF_UPDATE_LABEL}=true, "
                "by a helper from the new image"
            )
            return _outcome(result, RunStatus.SKIPPED, reason)
        if options.dry_run:
            return _outcome(
                result, RunStatus.WOULD_UPDATE, "would hand the update to a helper container"
            )
        digest = result.remote_digest or ""
        try:
            image = self._pull(engine, ref, digest, result.platform)
            name = helper_name(container.name, secrets.token_hex(4))
            body = helper_body(
                engine.inspect_container(container.id),
                image,
                ("update", container.name, "--format", "json"),
            )
            helper = engine.create_container(body, name)
            engine.start_container(helper)
        except ColibriError as exc:
            return _outcome(result, RunStatus.FAILED, f"self-update not started: {exc}")
        log.warning("self-update: %s hands its update to %s (%s)", container.name, name, image)
        reason = (
            f"handed to helper container {name}: it replaces this Colibri with {image}, "
            "verified, and records the update as its own run"
        )
        return _outcome(result, RunStatus.SKIPPED, reason)

    def _pull(self, engine: HelperEngine, ref: ImageRef, digest: str, platform: str | None) -> str:
        auth = self.registry_auth(ref) if self.registry_auth is not None else None
        engine.pull(ref.name, digest, platform=platform, auth=auth)
        return f"{ref.name}@{digest}"


def _outcome(result: CheckResult, status: RunStatus, reason: str) -> UpdateOutcome:
    return UpdateOutcome(
        container=result.container,
        status=status,
        reason=reason,
        old_digest=result.current_digest,
        new_digest=result.remote_digest,
        old_image_id=result.image_id or None,
    )
