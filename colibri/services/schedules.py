"""Auto-update settings and their schedules (``/api/auto-updates``, ``/api/cron/describe``).

The domain validates what a user chooses (``AutoUpdateConfig``, ``Schedule``, the cron
grammar of ``colibri.domain.cron``); this use case adds what needs croniter and the store:

* the next run time, computed from now in the setting's time zone
  (:mod:`colibri.services.run_times`) whenever a setting is created or changed: an edit
  restarts the schedule from now (a failure backoff ends, a due run moves to the next slot),
  so it can never hand the scheduler a slot it already ran;
* a disabled setting is stored without a next run; a cron that never matches a date again is
  ``Invalid`` on ``cron``;
* an unknown environment is ``Invalid`` on ``environment_id`` (the body names it), a second
  setting for one container a store conflict on ``container_name``.
"""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import datetime

from colibri.domain.invalid import Invalid, check_aware
from colibri.domain.ports import AutoUpdates, Clock, Environments
from colibri.domain.settings import AutoUpdateConfig, AutoUpdateSetting, NewAutoUpdate, Schedule
from colibri.services.paging import check_page
from colibri.services.run_times import describe_cron, next_run, upcoming

__all__ = ["ScheduleService"]


class ScheduleService:
    """CRUD of auto-update settings, their run times, and cron expressions explained."""

    def __init__(self, auto_updates: AutoUpdates, environments: Environments, clock: Clock) -> None:
        self.auto_updates = auto_updates
        self.environments = environments
        self.clock = clock

    def list(
        self, environment_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[AutoUpdateSetting]:
        """Settings by environment and container name; ``Invalid`` for a bad page."""
        check_page(limit, offset)
        return self.auto_updates.list_settings(
            environment_id=environment_id, limit=limit, offset=offset
        )

    def get(self, setting_id: int) -> AutoUpdateSetting | None:
        """One setting, or ``None``."""
        return self.auto_updates.get(setting_id)

    def find(self, environment_id: int, container_name: str) -> AutoUpdateSetting | None:
        """The setting of one container, or ``None``."""
        return self.auto_updates.find(environment_id, container_name)

    def create(self, new: NewAutoUpdate) -> AutoUpdateSetting:
        """Store a setting with its first run time (``new.next_run_at`` is ignored)."""
        if self.environments.get(new.environment_id) is None:
            raise Invalid("environment_id", f"there is no environment {new.environment_id}")
        first = self._next_run_at(new.config)
        return self.auto_updates.create(replace(new, next_run_at=first))

    def update(self, setting_id: int, config: AutoUpdateConfig) -> AutoUpdateSetting | None:
        """Replace what the user chose; the schedule restarts from now. ``None`` for an
        unknown id (run history and failure count are kept)."""
        return self.auto_updates.update(setting_id, config, next_run_at=self._next_run_at(config))

    def delete(self, setting_id: int) -> bool:
        """Delete a setting; ``False`` for an unknown id. Its past runs stay in the journal."""
        return self.auto_updates.delete(setting_id)

    def next_runs(
        self, schedule: Schedule, count: int = 5, after: datetime | None = None
    ) -> builtins.list[datetime]:
        """The next ``count`` (1-100) run times of ``schedule`` after ``after`` (default
        now), in UTC."""
        if not 1 <= count <= 100:
            raise Invalid("count", f"must be 1-100, got {count}")
        check_aware(after, "after")
        return upcoming(schedule, after or self.clock.now(), count)

    def describe_cron(
        self, expr: str, timezone: str = "UTC"
    ) -> tuple[str, builtins.list[datetime]]:
        """``expr`` in words and its next five run times (UTC); ``Invalid`` naming ``cron``
        and why when it is not a valid five-field expression or never matches a date."""
        return describe_cron(expr, timezone, self.clock.now())

    def _next_run_at(self, config: AutoUpdateConfig) -> datetime | None:
        if not config.enabled:
            return None
        first = next_run(config.schedule, self.clock.now())
        if first is None:
            cron = config.schedule.cron
            raise Invalid("cron", f"{cron!r} never matches a date (as 31 February would)")
        return first
