"""In what order to update containers, and which containers depend on an updated one.

A container depends on another when it shares its network namespace
(``network_mode: container:<x>``) or names it in the ``colibri.depends-on`` label (a
comma-separated list of container names). Dependencies are updated first; after an update,
namespace sharers must be recreated (their namespace died with the old container) and
``depends-on`` dependents restarted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from colibri.domain.controls import expected_length, update_hold
from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckResult, CheckStatus, Container
from colibri.domain.transient import replaced_by
from colibri.errors import ConfigError

__all__ = [
    "DEPENDS_ON_LABEL",
    "Dependents",
    "dependencies_of",
    "dependents_of",
    "settled_by_check",
    "update_groups",
    "update_order",
]

DEPENDS_ON_LABEL = "colibri.depends-on"

_NOT_UPDATED = {
    CheckStatus.PINNED,
    CheckStatus.LOCAL_ONLY,
    CheckStatus.NO_REFERENCE,
    CheckStatus.NO_PLATFORM,
    CheckStatus.DEFERRED,
    CheckStatus.SKIPPED,
}


def settled_by_check(
    result: CheckResult, now: datetime, verify: VerifyPolicy
) -> tuple[RunStatus, str] | None:
    """The outcome when the check alone decides it (``None``: the container is to be
    updated): up to date, skipped (pinned, local only, deferred, skipped by the operator, held
    at ``now`` by a minimum age or by a maintenance window too short for an update verified by
    ``verify``...), or failed."""
    if result.status is CheckStatus.UP_TO_DATE:
        return RunStatus.UP_TO_DATE, result.reason or "up to date"
    if result.status in _NOT_UPDATED:
        return RunStatus.SKIPPED, f"{result.status.value}: {result.reason}"
    ready = result.checked is not None and result.target_ref is not None
    if result.status is CheckStatus.UPDATE_AVAILABLE and result.remote_digest and ready:
        assert result.checked is not None
        try:
            expected = expected_length(verify, result.checked.labels)
        except ConfigError as exc:
            return RunStatus.FAILED, str(exc)
        held = update_hold(result.notes, now, expected)
        return None if held is None else (RunStatus.SKIPPED, held)
    return RunStatus.FAILED, f"check failed: {result.reason}"


@dataclass(frozen=True)
class Dependents:
    """Containers to recreate (shared namespace) and to restart (declared dependency)."""

    recreate: tuple[Container, ...] = ()
    restart: tuple[Container, ...] = ()


def dependencies_of(container: Container) -> set[str]:
    """Names or IDs of the containers ``container`` depends on."""
    found = {
        name.strip().lstrip("/")
        for name in container.labels.get(DEPENDS_ON_LABEL, "").split(",")
        if name.strip()
    }
    if container.network_mode.startswith("container:"):
        found.add(container.network_mode.removeprefix("container:"))
    return found


def _refers_to(reference: str, target: Container) -> bool:
    return reference == target.name or (len(reference) >= 12 and target.id.startswith(reference))


def dependents_of(target: Container, containers: Iterable[Container]) -> Dependents:
    """Who must follow when ``target`` is replaced. Another update's temporary copies are
    not: that update owns them, and its commit or undo settles them."""
    recreate: list[Container] = []
    restart: list[Container] = []
    for other in containers:
        if other.id == target.id or replaced_by(other.name) is not None:
            continue
        shared = other.network_mode.removeprefix("container:")
        if other.network_mode.startswith("container:") and _refers_to(shared, target):
            recreate.append(other)
        elif any(_refers_to(name, target) for name in dependencies_of(other)):
            restart.append(other)
    return Dependents(tuple(recreate), tuple(restart))


def update_order(containers: Sequence[Container]) -> list[Container]:
    """Dependencies before dependents (stable otherwise; cycles keep their input order)."""
    remaining = list(containers)
    ordered: list[Container] = []
    while remaining:
        ready = [c for c in remaining if not _waits_for(c, remaining)]
        batch = ready or remaining[:1]
        ordered.extend(batch)
        remaining = [c for c in remaining if c not in batch]
    return ordered


def _waits_for(container: Container, pending: Sequence[Container]) -> bool:
    needs = dependencies_of(container)
    return any(
        other.id != container.id and any(_refers_to(n, other) for n in needs) for other in pending
    )


def update_groups(containers: Sequence[Container]) -> list[list[Container]]:
    """The containers split into groups that can be updated at the same time: two containers
    are in one group when one depends on the other (directly or through others of the list);
    each group in :func:`update_order`. Groups keep the order of their first member."""
    parent = list(range(len(containers)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, container in enumerate(containers):
        needs = dependencies_of(container)
        for j, other in enumerate(containers):
            if i != j and any(_refers_to(name, other) for name in needs):
                parent[root(i)] = root(j)
    members: dict[int, list[Container]] = {}
    for i, container in enumerate(containers):
        members.setdefault(root(i), []).append(container)
    return [update_order(group) for group in members.values()]
