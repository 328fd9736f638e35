"""The plans of every opted-in container, kept in the store for the scheduler and the API.

:meth:`ServicePlans.sync` reads one environment's running containers and their labels, and
each container's setting if it has one, and stores their
:class:`~colibri.domain.service_plan.ContainerPlan`: a label-driven or default schedule gets
its first slot from now (``colibri.services.run_times``); a container whose setting schedules
it has no slot here (the setting's own is claimed). ``colibri serve`` syncs at start and every
``sync_interval`` seconds, so a container labelled a minute ago is planned a minute later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from colibri.domain.environments import Environment
from colibri.domain.invalid import Invalid
from colibri.domain.model import Container
from colibri.domain.policy import OptIn, opt_in
from colibri.domain.ports import AutoUpdates, Clock, Environments
from colibri.domain.service_plan import ContainerPlan, ScheduleSource, in_scope, plan_for
from colibri.domain.settings import Schedule, ScheduleType
from colibri.domain.transient import replaced_by
from colibri.errors import ColibriError
from colibri.services.ports import EngineFactory, LabelSlots
from colibri.services.run_times import next_run

__all__ = ["PlanDefaults", "ServicePlans"]

log = logging.getLogger(__name__)


class PlanDefaults:
    """``COLIBRI_SCHEDULE``, ``COLIBRI_TIMEZONE`` (resolved), ``COLIBRI_CLEANUP`` and
    ``COLIBRI_SCOPE``."""

    def __init__(
        self,
        cron: str = "0 3 * * *",
        timezone: str = "UTC",
        cleanup: bool = True,
        scope: str = "",
    ) -> None:
        self.cron = cron
        self.timezone = timezone
        self.cleanup = cleanup
        self.scope = scope


class ServicePlans:
    """Syncs the plans of every environment's containers (see the module docstring)."""

    def __init__(
        self,
        environments: Environments,
        engines: EngineFactory,
        auto_updates: AutoUpdates,
        slots: LabelSlots,
        clock: Clock,
        defaults: PlanDefaults | None = None,
    ) -> None:
        self.environments = environments
        self.engines = engines
        self.auto_updates = auto_updates
        self.slots = slots
        self.clock = clock
        self.defaults = defaults or PlanDefaults()

    def sync_all(self) -> int:
        """Sync every environment whose daemon answers; how many containers are planned."""
        planned = 0
        for environment in self.environments.list_environments():
            try:
                containers = self.engines.engine_for(environment).list_containers()
                planned += self.sync(environment, containers)
            except ColibriError as exc:
                log.warning("environment %s: plans not synced: %s", environment.name, exc)
        return planned

    def sync(self, environment: Environment, containers: Sequence[Container]) -> int:
        """Store the plans of ``containers`` (the environment's running ones); how many."""
        settings = {
            s.container_name: (s.config.schedule.cron, s.config.schedule.timezone)
            for s in self.auto_updates.list_settings(environment_id=environment.id, limit=10_000)
        }
        now = self.clock.now()
        plans: dict[str, tuple[ContainerPlan, datetime | None]] = {}
        for container in containers:
            name = container.name.removeprefix("/")
            if replaced_by(name) is not None or opt_in(container.labels).state is not OptIn.ENABLED:
                continue
            if not in_scope(container.labels, self.defaults.scope):
                continue
            try:
                plan = plan_for(
                    container.labels,
                    setting_cron=settings.get(name),
                    default_cron=self.defaults.cron,
                    timezone=self.defaults.timezone,
                    cleanup=self.defaults.cleanup,
                )
            except Invalid as exc:
                log.warning(
                    "%s/%s: not planned: %s: %s", environment.name, name, exc.field, exc.reason
                )
                continue
            plans[name] = (plan, self._first(plan, now))
        self.slots.sync(environment.id, plans)
        return len(plans)

    @staticmethod
    def _first(plan: ContainerPlan, now: datetime) -> datetime | None:
        if plan.source is ScheduleSource.SETTING:
            return None
        return next_run(Schedule(ScheduleType.CUSTOM, plan.cron, plan.timezone), now)
