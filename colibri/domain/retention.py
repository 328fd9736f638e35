"""How long ``colibri serve`` keeps its records, so that they stay bounded.

Two kinds of record grow with every check and update:

* the notification de-duplication log (one key per container and digest announced as
  "update available", and per run event sent): a key older than ``notification_days`` is
  dropped, after which that same event could be announced once more;
* the run history (each update with its steps and log, and the numbered events of runs): a
  finished run older than ``run_days`` is deleted, except the newest ``runs_per_container``
  runs of each container, which are kept whatever their age. A run that is not finished is
  never deleted (recovery needs it).

The defaults are generous: a year, and the last 50 runs of every container.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from colibri.errors import ConfigError

__all__ = ["Retention", "RetentionCutoffs"]


@dataclass(frozen=True, slots=True)
class RetentionCutoffs:
    """What to drop at one moment: log keys and finished runs started before these times,
    keeping ``runs_per_container`` runs of each container."""

    notifications_before: datetime
    runs_before: datetime
    runs_per_container: int


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history to keep (see the module docstring)."""

    notification_days: int = 365
    run_days: int = 365
    runs_per_container: int = 50

    def __post_init__(self) -> None:
        if self.notification_days < 1 or self.run_days < 1:
            raise ConfigError("retention: days must be at least 1")
        if self.runs_per_container < 0:
            raise ConfigError("retention: runs kept per container must be 0 or more")

    def cutoffs(self, now: datetime) -> RetentionCutoffs:
        """The cutoffs at ``now`` (aware)."""
        return RetentionCutoffs(
            now - timedelta(days=self.notification_days),
            now - timedelta(days=self.run_days),
            self.runs_per_container,
        )
