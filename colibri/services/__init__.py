"""Use cases over ports only: check, update, scan, and what ``colibri serve`` offers.

The service objects of ``colibri serve`` (one per API resource) return domain values,
``None`` for unknown ids, and raise ``colibri.domain.invalid.Invalid`` (a ``ValueError``
naming the field) for bad input and ``ColibriError`` subclasses otherwise (a store conflict
has ``kind == "conflict"`` and a ``field``). ``colibri.bootstrap.serve`` builds them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from colibri.services.check import CheckReport, CheckRequest, CheckService

if TYPE_CHECKING:
    from colibri.services.containers import CheckSummary, ContainerService, EnvironmentCheck
    from colibri.services.environments import EnvironmentService
    from colibri.services.health import HealthService
    from colibri.services.metrics import MetricsService
    from colibri.services.runner import SettingRunner, setting_overrides
    from colibri.services.runs import RunService
    from colibri.services.schedules import ScheduleService
    from colibri.services.targets import DeliveryReport, TargetService
    from colibri.services.tokens import TokenService

__all__ = [
    "CheckReport",
    "CheckRequest",
    "CheckService",
    "CheckSummary",
    "ContainerService",
    "DeliveryReport",
    "EnvironmentCheck",
    "EnvironmentService",
    "HealthService",
    "MetricsService",
    "RunService",
    "ScheduleService",
    "SettingRunner",
    "TargetService",
    "TokenService",
    "setting_overrides",
]

#: The service's use cases are imported when first named, so ``colibri check``, which only
#: needs the check, does not pay for the executor, notifications and schedules.
_LAZY = {
    "CheckSummary": "containers",
    "ContainerService": "containers",
    "EnvironmentCheck": "containers",
    "EnvironmentService": "environments",
    "HealthService": "health",
    "MetricsService": "metrics",
    "SettingRunner": "runner",
    "setting_overrides": "runner",
    "RunService": "runs",
    "ScheduleService": "schedules",
    "DeliveryReport": "targets",
    "TargetService": "targets",
    "TokenService": "tokens",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
