"""The fleet's figures for the gauges of ``/metrics``: read from the store at scrape time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from colibri.domain.fleet import EnvironmentFigures, figures
from colibri.domain.journal import RunStatus
from colibri.domain.ports import Clock, ContainerStatuses, Environments

__all__ = ["FleetFigures", "LastOutcomes"]


class LastOutcomes(Protocol):
    """The newest run outcome of each container (``colibri.store.fleet.SqlLastOutcomes``)."""

    def last_outcomes(self) -> dict[tuple[str, str], RunStatus]: ...


class FleetFigures:
    """A ``FleetSource`` for ``MetricsService``: three queries per scrape."""

    def __init__(
        self,
        environments: Environments,
        statuses: ContainerStatuses,
        outcomes: LastOutcomes,
        clock: Clock,
    ) -> None:
        self.environments = environments
        self.statuses = statuses
        self.outcomes = outcomes
        self.clock = clock

    def __call__(self) -> tuple[Sequence[EnvironmentFigures], datetime]:
        """Every environment's figures, and now."""
        names = {env.id: env.name for env in self.environments.list_environments()}
        found = figures(names, self.statuses.list_statuses(), self.outcomes.last_outcomes())
        return found, self.clock.now()
