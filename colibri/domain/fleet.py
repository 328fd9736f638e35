"""How the fleet stands, per environment: containers per status, and how old the last check
is (the figures of the Prometheus gauges).

A container's status is its last check's (``up_to_date``, ``update_available``, ``error``…),
except while an update is still pending and the last attempt at it did not go through: then
it is that attempt's outcome (``blocked``, ``failed``, ``rolled_back``, ``skipped``), so a
dashboard shows what stands in the way rather than "available" again and again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from colibri.domain.container_status import ContainerStatus
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckStatus

__all__ = ["EnvironmentFigures", "figures", "fleet_status"]

#: Outcomes that leave a pending update pending.
_STUCK = frozenset({RunStatus.BLOCKED, RunStatus.FAILED, RunStatus.ROLLED_BACK, RunStatus.SKIPPED})


def fleet_status(check: CheckStatus, last_run: RunStatus | None) -> str:
    """The status a container is counted under (see the module docstring)."""
    if check is CheckStatus.UPDATE_AVAILABLE and last_run in _STUCK:
        return str(last_run.value) if last_run is not None else check.value
    return check.value


@dataclass(frozen=True, slots=True)
class EnvironmentFigures:
    """One environment: containers per status, and when its newest check happened
    (``None``: never checked)."""

    environment: str
    counts: Mapping[str, int] = field(default_factory=dict)
    last_check: datetime | None = None

    def check_age(self, now: datetime) -> float | None:
        """Seconds since the newest check, ``None`` when there was none."""
        if self.last_check is None:
            return None
        return max((now - self.last_check).total_seconds(), 0.0)


def figures(
    environments: Mapping[int, str],
    statuses: Iterable[ContainerStatus],
    last_runs: Mapping[tuple[str, str], RunStatus],
) -> list[EnvironmentFigures]:
    """Figures of each environment (by id → name), from the last checks and the last run
    outcome of each (environment name, container name)."""
    counts: dict[int, Counter[str]] = {env_id: Counter() for env_id in environments}
    newest: dict[int, datetime] = {}
    for status in statuses:
        name = environments.get(status.environment_id)
        if name is None:
            continue
        last = last_runs.get((name, status.container_name))
        counts[status.environment_id][fleet_status(status.status, last)] += 1
        seen = newest.get(status.environment_id)
        if seen is None or status.checked_at > seen:
            newest[status.environment_id] = status.checked_at
    return [
        EnvironmentFigures(name, dict(counts[env_id]), newest.get(env_id))
        for env_id, name in sorted(environments.items(), key=lambda item: item[1])
    ]
