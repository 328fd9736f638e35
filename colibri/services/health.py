"""Whether the parts ``colibri serve`` needs answer now (``GET /healthz``).

* ``store``: the database answers a read;
* ``daemon``: the ``local`` environment's Docker daemon lists its containers (other
  environments are remote hosts whose outages are reported by their runs, not by the health
  of this process);
* ``scheduler``: the scheduler's thread is alive (when one is given).

``check`` never raises: a part that fails is ``False``, and why is logged at DEBUG.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from colibri.domain.environments import LOCAL_ENVIRONMENT
from colibri.domain.ports import Environments
from colibri.errors import ColibriError
from colibri.services.ports import EngineFactory

__all__ = ["HealthService"]

log = logging.getLogger(__name__)


class HealthService:
    """Asks the store, the local daemon and the scheduler whether they work."""

    def __init__(
        self,
        environments: Environments,
        engines: EngineFactory,
        scheduler_alive: Callable[[], bool] | None = None,
    ) -> None:
        self.environments = environments
        self.engines = engines
        self.scheduler_alive = scheduler_alive

    def check(self) -> dict[str, bool]:
        """Each part and whether it answers now."""
        parts = {"store": False, "daemon": False}
        try:
            local = self.environments.find(LOCAL_ENVIRONMENT)
            parts["store"] = True
            if local is not None:
                self.engines.engine_for(local).list_containers()
                parts["daemon"] = True
        except ColibriError as exc:
            log.debug("health: %s", exc)
        if self.scheduler_alive is not None:
            parts["scheduler"] = self.scheduler_alive()
        return parts
