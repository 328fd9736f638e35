"""The check use case: which selected containers run an image their tag no longer points at.

Cost model (docs/registry.md H6, L1): one image inspect per distinct image, one HEAD per distinct
``registry/path:tag`` however many containers share it, a GET only when a multi-arch index has to
be opened (cached by digest), and no registry request at all for pinned, local-only or
image-ID containers. A failing registry only affects its own containers.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace

from colibri.domain.freshness import (
    Verdict,
    classify_reference,
    compare,
    current_digest,
    local_index_candidates,
)
from colibri.domain.model import CheckResult, CheckStatus, Container, LocalImage, RemoteManifest
from colibri.domain.policy import select_containers, tag_rules
from colibri.domain.ports import Engine, Registry
from colibri.domain.refs import ImageRef, is_image_id, parse_reference
from colibri.domain.versions import TagRules, newest_tag
from colibri.errors import (
    BadReference,
    ColibriError,
    ConfigError,
    EngineError,
    ManifestUnknown,
    RegistryError,
)
from colibri.services.controls import Controls

__all__ = ["CheckReport", "CheckRequest", "CheckService", "Progress"]

log = logging.getLogger(__name__)

#: Called with (containers done, containers in total) as the check advances.
Progress = Callable[[int, int], None]
_TagKey = tuple[str, str, str]


@dataclass(frozen=True)
class CheckRequest:
    """What to check: named containers, every running one, or the opted-in ones."""

    names: Sequence[str] = ()
    all_running: bool = False
    include_stopped: bool = False


@dataclass(frozen=True)
class CheckReport:
    """Per-container results plus what was asked for and not checked.

    ``checked`` holds the containers exactly as they were listed for the check: an update acts
    on these (their names as checked), never on a later listing in which another update may
    have renamed one aside."""

    results: tuple[CheckResult, ...]
    excluded: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    checked: tuple[Container, ...] = ()

    def count(self, status: CheckStatus) -> int:
        return sum(1 for result in self.results if result.status is status)


@dataclass
class _Pending:
    container: Container
    local: LocalImage
    ref: ImageRef
    rules: TagRules | None = None
    warnings: list[str] = field(default_factory=list)


#: Which newer version tags a container follows (``None``: its tag's digest only).
TagPolicy = Callable[[Container], TagRules | None]


class CheckService:
    """Checks containers of one engine against their registries."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        *,
        concurrency: int = 8,
        tag_policy: TagPolicy | None = None,
        controls: Controls | None = None,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.concurrency = max(1, concurrency)
        self.tag_policy: TagPolicy = tag_policy or (lambda container: tag_rules(container.labels))
        self._tags = _TagMemo(registry)
        self.controls = controls

    def check(self, request: CheckRequest, progress: Progress | None = None) -> CheckReport:
        """Check what ``request`` selects. Raises only when the daemon cannot be listed."""
        self.registry.forget_tags()
        self._tags.clear()
        include_stopped = request.include_stopped or bool(request.names)
        selection = select_containers(
            self.engine.list_containers(include_stopped=include_stopped),
            names=request.names,
            all_running=request.all_running,
            include_stopped=request.include_stopped,
            engine=self.engine.kind,
        )
        results = self.check_containers(selection.containers, progress)
        results.extend(_failed(c, ConfigError(why)) for c, why in selection.invalid)
        results.sort(key=lambda result: (result.container, result.container_id))
        if self.controls is not None:
            results = self.controls.annotate(results, selection.containers)
        return CheckReport(
            results=tuple(results),
            excluded=selection.excluded,
            missing=selection.missing,
            warnings=selection.warnings,
            checked=selection.containers,
        )

    def check_containers(
        self, containers: Sequence[Container], progress: Progress | None = None
    ) -> list[CheckResult]:
        """Check exactly these containers; results sorted by container name.

        Containers are grouped by tracked tag; each group inspects its images (each image once
        across groups) and then asks the registry, so Docker reads and registry requests
        overlap."""
        tracker = _Tracker(len(containers), progress)
        images = _ImageMemo(self.engine)
        results: list[CheckResult] = []
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="colibri-check") as pool:
            futures = [
                pool.submit(self._check_group, members, images)
                for members in _group_by_tag(containers)
            ]
            for future in as_completed(futures):
                batch = future.result()
                results.extend(batch)
                tracker.advance(len(batch))
        return sorted(results, key=lambda result: (result.container, result.container_id))

    def _check_group(self, members: list[Container], images: _ImageMemo) -> list[CheckResult]:
        """Decide locally what can be; one HEAD for the rest (they share a tag)."""
        results: list[CheckResult] = []
        pending: list[_Pending] = []
        for container in members:
            local = images.get(container.image_id)
            if isinstance(local, EngineError):
                results.append(_failed(container, local))
                continue
            verdict = classify_reference(container, local)
            if verdict.status is CheckStatus.UPDATE_AVAILABLE and verdict.ref and local:
                try:
                    rules = self.tag_policy(container)
                except ConfigError as exc:
                    results.append(_failed(container, exc, local, verdict.ref))
                    continue
                pending.append(_Pending(container, local, verdict.ref, rules))
            else:
                results.append(_result(container, local, verdict))
        if pending:
            results.extend(self._ask_registry(pending))
        return results

    def _ask_registry(self, group: list[_Pending]) -> list[CheckResult]:
        tag_ref = group[0].ref.with_tag(group[0].ref.tracked_tag or "latest")
        try:
            remote = self.registry.head(tag_ref)
        except ColibriError as exc:
            return [_failed(item.container, exc, item.local, item.ref) for item in group]
        diverged = self._diverged_tag_warning(tag_ref, group)
        results = []
        for item in group:
            item.warnings.extend(diverged)
            results.append(self._decide(item, remote))
        return results

    def _decide(self, item: _Pending, remote: RemoteManifest) -> CheckResult:
        try:
            if remote.is_index and remote.digest not in item.local.digests and not remote.children:
                remote = self.registry.fetch(item.ref.by_digest(remote.digest))
            verdict = self._compare(item, item.ref, remote)
            if item.rules is not None and verdict.status is not CheckStatus.NO_PLATFORM:
                verdict = self._newer_tag(item, verdict)
        except ColibriError as exc:
            return _failed(item.container, exc, item.local, item.ref)
        return _result(item.container, item.local, verdict, item.warnings)

    def _compare(self, item: _Pending, ref: ImageRef, remote: RemoteManifest) -> Verdict:
        """``compare``, opening the remote index and the local ones when it needs them."""
        if remote.is_index and remote.digest not in item.local.digests and not remote.children:
            remote = self.registry.fetch(ref.by_digest(remote.digest))
        verdict = compare(ref, item.local, remote)
        if verdict.status is CheckStatus.UPDATE_AVAILABLE and remote.is_index:
            indexes = self._local_indexes(item, remote)
            verdict = compare(ref, item.local, remote, indexes) if indexes else verdict
        return verdict

    def _newer_tag(self, item: _Pending, verdict: Verdict) -> Verdict:
        """Registry-spec §8: a newer version tag within the container's policy, if any. When
        the tags cannot be listed, or the newer tag cannot run here, the current tag's digest
        verdict stands (with a warning)."""
        assert item.rules is not None
        current = item.ref.tracked_tag or "latest"
        try:
            newest = newest_tag(current, self._tags.get(item.ref), item.rules)
        except RegistryError as exc:
            item.warnings.append(f"could not list tags: {exc}")
            return verdict
        if newest is None:
            return verdict
        newer = self._compare(
            item, item.ref.with_tag(newest), self.registry.head(item.ref.with_tag(newest))
        )
        if newer.status is not CheckStatus.UPDATE_AVAILABLE:
            item.warnings.append(f"newer tag {newest}: {newer.status.value} ({newer.reason})")
            return verdict
        reason = f"newer version tag {newest} (policy {item.rules.policy.value})"
        return replace(
            newer, reason=reason, target_tag=newest, current_digest=verdict.current_digest
        )

    def _local_indexes(self, item: _Pending, remote: RemoteManifest) -> dict[str, RemoteManifest]:
        """Fetch the indexes this image was pulled through, to compare platform children (C6).
        An index the registry no longer has is skipped."""
        found: dict[str, RemoteManifest] = {}
        for digest in local_index_candidates(item.ref, item.local, remote):
            try:
                found[digest] = self.registry.fetch(item.ref.by_digest(digest))
            except ManifestUnknown:
                log.debug("local index %s is gone from %s", digest, item.ref.name)
        return found

    def _diverged_tag_warning(self, tag_ref: ImageRef, group: list[_Pending]) -> list[str]:
        """C9b: the local tag now names a locally built image; say so, decide from the
        container's own image. Skipped when the daemon already said the reference still names
        the container's image."""
        if all(item.container.reference_current and not item.ref.digest for item in group):
            return []
        try:
            tagged = self.engine.inspect_image(f"{tag_ref.name}:{tag_ref.tag}")
        except EngineError:
            return []
        if tagged is None or tagged.digests:
            return []
        if all(item.local.id == tagged.id for item in group):
            return []
        return [
            f"local tag {tag_ref.familiar()} now names a locally built image ({tagged.id[:19]})"
        ]


class _Tracker:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress

    def advance(self, count: int) -> None:
        self.done += count
        if self.progress is not None and count:
            self.progress(self.done, self.total)


def _group_by_tag(containers: Iterable[Container]) -> list[list[Container]]:
    """Containers sharing ``registry/path:tag`` together; the rest (image IDs, pinned or
    unreadable references) one by one."""
    groups: dict[_TagKey, list[Container]] = defaultdict(list)
    alone: list[list[Container]] = []
    for container in containers:
        key = _tag_key(container)
        if key is None:
            alone.append([container])
        else:
            groups[key].append(container)
    return [*groups.values(), *alone]


def _tag_key(container: Container) -> _TagKey | None:
    if is_image_id(container.config_image, container.image_id):
        return None
    try:
        ref = parse_reference(container.config_image)
    except BadReference:
        return None
    if ref.tracked_tag is None:
        return None
    return (ref.registry_key, ref.path, ref.tracked_tag)


class _TagMemo:
    """Each repository's tag list fetched once per check, whichever container asks first."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.lock = threading.Lock()
        self.futures: dict[tuple[str, str], Future[list[str] | RegistryError]] = {}

    def clear(self) -> None:
        with self.lock:
            self.futures.clear()

    def get(self, ref: ImageRef) -> list[str]:
        key = (ref.registry_key, ref.path)
        with self.lock:
            future = self.futures.get(key)
            owner = future is None
            if future is None:
                future = self.futures[key] = Future()
        if owner:
            try:
                future.set_result(self.registry.list_tags(ref))
            except RegistryError as exc:
                future.set_result(exc)
        found = future.result()
        if isinstance(found, RegistryError):
            raise found
        return found


class _ImageMemo:
    """Each image inspected once, whichever group asks first; the others wait for it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.futures: dict[str, Future[LocalImage | EngineError | None]] = {}

    def get(self, image_id: str) -> LocalImage | EngineError | None:
        with self.lock:
            future = self.futures.get(image_id)
            owner = future is None
            if future is None:
                future = self.futures[image_id] = Future()
        if owner:
            try:
                future.set_result(self.engine.inspect_image(image_id))
            except EngineError as exc:
                future.set_result(exc)
        return future.result()


def _result(
    container: Container,
    local: LocalImage | None,
    verdict: Verdict,
    warnings: Sequence[str] = (),
) -> CheckResult:
    return CheckResult(
        container=container.name,
        container_id=container.id,
        image=container.config_image,
        status=verdict.status,
        reason=verdict.reason,
        current_digest=verdict.current_digest,
        remote_digest=verdict.remote_digest,
        expected_digest=verdict.expected_digest,
        image_id=container.image_id,
        platform=str(local.platform) if local and local.platform else None,
        error_kind=verdict.error_kind,
        warnings=tuple(warnings),
        target_tag=verdict.target_tag,
        checked=container,
        ref=_parsed(container),
    )


def _parsed(container: Container) -> ImageRef | None:
    if is_image_id(container.config_image, container.image_id):
        return None
    try:
        return parse_reference(container.config_image)
    except BadReference:
        return None


def _failed(
    container: Container,
    exc: ColibriError,
    local: LocalImage | None = None,
    ref: ImageRef | None = None,
) -> CheckResult:
    status = CheckStatus.DEFERRED if exc.transient else CheckStatus.ERROR
    current = current_digest(ref, local) if local is not None and ref is not None else None
    verdict = Verdict(status, str(exc), ref, current_digest=current, error_kind=exc.kind)
    return _result(container, local, verdict)
