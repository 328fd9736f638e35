"""Containers and their update status (``GET /api/containers``, ``POST /api/check``).

The list is read from the store: the last check of each container, so answering costs one
query and no registry request. :meth:`ContainerService.check_now` refreshes it: it checks
every running container of each environment (those labelled ``colibri.enable=false`` are left
out, as ``colibri check --all`` does), replaces their statuses, forgets containers that are
gone, and announces each update found through the notification service, which sends it once
per container and digest however often the check runs. One environment failing (its daemon
down) does not stop the others; the summary says which failed and why.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from colibri.domain.container_status import ContainerStatus
from colibri.domain.environments import Environment
from colibri.domain.model import CheckStatus
from colibri.domain.ports import Clock, ContainerStatuses, Environments, Registry
from colibri.errors import ColibriError
from colibri.services.check import CheckRequest, CheckService
from colibri.services.controls import ControlsFactory
from colibri.services.notifications import NotificationService
from colibri.services.ports import EngineFactory, Metrics

__all__ = ["CheckSummary", "ContainerService", "EnvironmentCheck"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EnvironmentCheck:
    """One environment's part of a check: how many containers ended in each status, or why
    it could not be checked (``error``)."""

    environment_id: int
    environment: str
    counts: dict[CheckStatus, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def checked(self) -> int:
        """Containers checked in this environment."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """What ``check_now`` did, environment by environment."""

    environments: tuple[EnvironmentCheck, ...]

    @property
    def checked(self) -> int:
        """Containers checked in all."""
        return sum(part.checked for part in self.environments)

    @property
    def updates_available(self) -> int:
        """Containers whose tag points at a newer image."""
        return sum(p.counts.get(CheckStatus.UPDATE_AVAILABLE, 0) for p in self.environments)

    @property
    def failed(self) -> tuple[EnvironmentCheck, ...]:
        """Environments that could not be checked."""
        return tuple(part for part in self.environments if part.error is not None)


class ContainerService:
    """Reads the containers' last check and checks them again on demand."""

    def __init__(
        self,
        environments: Environments,
        statuses: ContainerStatuses,
        engines: EngineFactory,
        registry: Registry,
        notifications: NotificationService | None,
        metrics: Metrics,
        clock: Clock,
        controls: ControlsFactory | None = None,
    ) -> None:
        self.environments = environments
        self.statuses = statuses
        self.engines = engines
        self.registry = registry
        self.notifications = notifications
        self.metrics = metrics
        self.clock = clock
        self.controls = controls

    def list_statuses(self, environment_id: int | None = None) -> list[ContainerStatus]:
        """Every container's last check (of one environment when given), by environment
        and name."""
        return self.statuses.list_statuses(environment_id)

    def check_now(self, environment_id: int | None = None) -> CheckSummary | None:
        """Check every environment (or only ``environment_id``; ``None`` when unknown)."""
        if environment_id is None:
            targets = self.environments.list_environments()
        else:
            found = self.environments.get(environment_id)
            if found is None:
                return None
            targets = [found]
        return CheckSummary(tuple(self._check(environment) for environment in targets))

    def _check(self, environment: Environment) -> EnvironmentCheck:
        started = self.clock.now()
        try:
            engine = self.engines.engine_for(environment)
            controls = (
                self.controls.for_environment(environment.name, engine) if self.controls else None
            )
            report = CheckService(engine, self.registry, controls=controls).check(
                CheckRequest(all_running=True)
            )
            self.statuses.record(
                ContainerStatus.from_check(r, environment_id=environment.id, checked_at=started)
                for r in report.results
            )
            self.statuses.forget_unchecked(environment.id, started)
        except ColibriError as exc:
            log.warning("environment %s could not be checked: %s", environment.name, exc)
            return EnvironmentCheck(environment.id, environment.name, error=str(exc))
        for result in report.results:
            self.metrics.observe_check(result.status)
        if self.notifications is not None:
            self.notifications.notify_check(report.results, environment=environment.name)
        counts = Counter(result.status for result in report.results)
        shown = ", ".join(f"{count} {status.value}" for status, count in sorted(counts.items()))
        log.info("environment %s checked: %s", environment.name, shown or "no containers")
        return EnvironmentCheck(environment.id, environment.name, dict(counts))
