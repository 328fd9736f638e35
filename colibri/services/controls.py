"""The operator's controls applied to a check: skips and snoozes, minimum age, maintenance
windows, and what each offered update changes.

For every ``update_available`` result :meth:`Controls.annotate`:

1. reads the candidate's configuration once per digest, ever: the platform manifest, then its
   configuration blob (two GETs, only the first time a digest is offered), keeping its
   ``created`` time and OCI labels with the time Colibri first saw it;
2. describes what changes, from the running image's labels (read from the daemon) and the
   candidate's (:func:`colibri.domain.changes.describe_changes`);
3. turns the result into ``skipped`` when an active skip or snooze says no to the candidate;
4. adds "eligible at …" while the candidate is younger than the minimum age;
5. notes the maintenance window in force, whether it is open now and its next opening.

A label Colibri cannot read (window, minimum age) makes that container's result an
``error`` naming it. The store is opened only when some result offers an update, so a check
that finds nothing new costs no database work.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from colibri.domain.changes import VERSION_LABEL, describe_changes
from colibri.domain.controls import (
    WINDOW_LABEL,
    ControlNotes,
    effective_min_age,
    effective_window,
)
from colibri.domain.image_age import SeenImage, config_digest, decide_age, read_config
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.ports import (
    AutoUpdates,
    Clock,
    Engine,
    Environments,
    Registry,
    SeenImages,
    Skips,
)
from colibri.domain.refs import ImageRef, parse_reference
from colibri.domain.skips import Candidate, Skip, active_skip, skip_reason
from colibri.domain.windows import WindowSet
from colibri.errors import ColibriError, ConfigError

__all__ = [
    "ControlDefaults",
    "ControlStoreSet",
    "ControlStores",
    "Controls",
    "ControlsFactory",
    "SettingControls",
    "control_stores",
]

log = logging.getLogger(__name__)

_CONFIG_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ControlDefaults:
    """The global window and minimum age (``COLIBRI_WINDOW``, ``COLIBRI_MIN_AGE``)."""

    window: str | None = None
    min_age: str | None = None


@dataclass(frozen=True, slots=True)
class SettingControls:
    """A container's auto-update setting's window and minimum age, when it has one."""

    window: str | None = None
    min_age: str | None = None


#: The setting's window and minimum age of a container (by name), if it has a setting.
SettingLookup = Callable[[str], SettingControls | None]


@dataclass(frozen=True, slots=True)
class ControlStores:
    """What the controls read from the store: skips, seen digests, the containers' settings
    and the environment's window (its label ``colibri.window``)."""

    skips: Skips
    seen: SeenImages
    settings: SettingLookup = lambda _name: None
    environment_window: str | None = None


def control_stores(
    skips: Skips,
    seen: SeenImages,
    environments: Environments,
    auto_updates: AutoUpdates,
    environment: str,
) -> ControlStores:
    """The controls' stores for the environment named ``environment``."""
    found = environments.find(environment)
    if found is None:
        return ControlStores(skips, seen)

    def setting(name: str) -> SettingControls | None:
        stored = auto_updates.find(found.id, name)
        if stored is None:
            return None
        return SettingControls(stored.config.window, stored.config.min_age)

    return ControlStores(skips, seen, setting, found.labels.get(WINDOW_LABEL))


class Controls:
    """Applies the controls to one environment's check results."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        clock: Clock,
        stores: Callable[[], ControlStores],
        *,
        environment: str,
        defaults: ControlDefaults = ControlDefaults(),
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.clock = clock
        self._open_stores = stores
        self._stores: ControlStores | None = None
        self.environment = environment
        self.defaults = defaults

    def stores(self) -> ControlStores:
        if self._stores is None:
            self._stores = self._open_stores()
        return self._stores

    def window_for(self, container: Container) -> WindowSet | None:
        """The window this container's updates are held to (``ConfigError`` naming an
        unreadable level)."""
        stores = self.stores()
        setting = stores.settings(container.name) or SettingControls()
        return effective_window(
            container.labels,
            ("auto-update setting window", setting.window),
            (f"environment {self.environment} label {WINDOW_LABEL}", stores.environment_window),
            ("COLIBRI_WINDOW", self.defaults.window),
        )

    def annotate(
        self, results: Sequence[CheckResult], containers: Sequence[Container]
    ) -> list[CheckResult]:
        """The results with the controls applied (module docstring); order kept."""
        offered = [r for r in results if r.status is CheckStatus.UPDATE_AVAILABLE]
        if not offered:
            return list(results)
        by_id = {container.id: container for container in containers}
        skips = self._skips()
        labels = _LabelMemo(self.engine)
        done: dict[int, CheckResult] = {}
        for result in offered:
            container = by_id.get(result.container_id)
            if container is None:
                continue
            try:
                done[id(result)] = self._one(result, container, skips[container.name], labels)
            except ConfigError as exc:
                done[id(result)] = replace(
                    result, status=CheckStatus.ERROR, reason=str(exc), error_kind=exc.kind
                )
        return [done.get(id(result), result) for result in results]

    def _skips(self) -> defaultdict[str, list[Skip]]:
        grouped: defaultdict[str, list[Skip]] = defaultdict(list)
        now = self.clock.now()
        for skip in self.stores().skips.list_skips(self.environment):
            if skip.active(now):
                grouped[skip.container_name].append(skip)
        return grouped

    def _one(
        self,
        result: CheckResult,
        container: Container,
        skips: list[Skip],
        labels: _LabelMemo,
    ) -> CheckResult:
        now = self.clock.now()
        ref = parse_reference(result.image)
        seen, warning = self._seen(ref, result.expected_digest or result.remote_digest or "")
        warnings = (*result.warnings, warning) if warning else result.warnings
        changes = describe_changes(
            labels.get(result.image_id),
            seen.labels,
            now=now,
            new_created=seen.created,
            current_tag=ref.tracked_tag,
            target_tag=result.target_tag,
        )
        notes = ControlNotes(changes=changes)
        window = self.window_for(container)
        if window is not None:
            notes = replace(
                notes,
                window=str(window),
                window_open=window.is_open(now),
                next_opening=window.next_opening(now),
            )
        digests = {d for d in (result.remote_digest, result.expected_digest) if d}
        candidate = Candidate(frozenset(digests), result.target_tag, seen.labels.get(VERSION_LABEL))
        skip = active_skip(skips, candidate, now)
        if skip is not None:
            notes = replace(notes, skip_id=skip.id, skipped_until=skip.until)
            return replace(
                result,
                status=CheckStatus.SKIPPED,
                reason=skip_reason(skip),
                notes=notes,
                warnings=warnings,
            )
        age = decide_age(
            self._min_age(container), now, created=seen.created, first_seen=seen.first_seen_at
        )
        reason = result.reason
        if not age.eligible:
            notes = replace(notes, eligible_at=age.eligible_at)
            reason = f"{reason}; {age.reason}" if reason else age.reason
        return replace(result, reason=reason, notes=notes, warnings=warnings)

    def _min_age(self, container: Container) -> timedelta | None:
        setting = self.stores().settings(container.name) or SettingControls()
        return effective_min_age(
            container.labels,
            ("auto-update setting min_age", setting.min_age),
            ("COLIBRI_MIN_AGE", self.defaults.min_age),
        )

    def _seen(self, ref: ImageRef, digest: str) -> tuple[SeenImage, str | None]:
        """The candidate as first seen; read from the registry the first time only. When
        its configuration cannot be read, its first sighting is still recorded."""
        seen = self.stores().seen
        known = seen.get(digest)
        if known is not None:
            return known, None
        warning = None
        created: datetime | None = None
        labels: dict[str, str] = {}
        try:
            created, labels = self._read_config(ref, digest)
        except ColibriError as exc:
            warning = f"could not read the new image's configuration: {exc}"
            log.info("%s: %s", ref.familiar(), warning)
        image = SeenImage(digest, self.clock.now(), created, labels)
        return seen.remember(image), warning

    def _read_config(self, ref: ImageRef, digest: str) -> tuple[datetime | None, dict[str, str]]:
        manifest = self.registry.fetch(ref.by_digest(digest))
        blob_digest = config_digest(manifest.body or b"")
        if blob_digest is None:
            return None, {}
        return read_config(self.registry.get_blob(ref, blob_digest, _CONFIG_LIMIT))


class _LabelMemo:
    """The running images' labels, each image inspected once per check."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.found: dict[str, Mapping[str, str]] = {}

    def get(self, image_id: str) -> Mapping[str, str]:
        if image_id not in self.found:
            try:
                raw = self.engine.inspect_image_raw(image_id) or {}
            except ColibriError:
                raw = {}
            labels = (raw.get("Config") or {}).get("Labels") or {}
            self.found[image_id] = labels if isinstance(labels, dict) else {}
        return self.found[image_id]


class ControlsFactory:
    """Builds each environment's :class:`Controls` for the service (checks and runs)."""

    def __init__(
        self,
        registry: Registry,
        clock: Clock,
        stores: ControlStoreSet,
        defaults: ControlDefaults = ControlDefaults(),
    ) -> None:
        self.registry = registry
        self.clock = clock
        self.stores = stores
        self.defaults = defaults

    def for_environment(self, environment: str, engine: Engine) -> Controls:
        stores = self.stores

        def opened() -> ControlStores:
            return control_stores(
                stores.skips, stores.seen, stores.environments, stores.auto_updates, environment
            )

        return Controls(
            engine,
            self.registry,
            self.clock,
            opened,
            environment=environment,
            defaults=self.defaults,
        )


@dataclass(frozen=True, slots=True)
class ControlStoreSet:
    """The store ports the controls read, for every environment."""

    skips: Skips
    seen: SeenImages
    environments: Environments
    auto_updates: AutoUpdates
