"""The seams of ``colibri serve``'s use cases that ``colibri.domain.ports`` does not have.

The service works on several Docker hosts, builds one gate per auto-update setting, counts
what it does for Prometheus and checks notification URLs before saving them. Each of these is
a ``typing.Protocol`` here; ``colibri.bootstrap`` plugs in the real ones, unit tests fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from colibri.domain.activity import ActivityEvent
    from colibri.domain.environments import Environment
    from colibri.domain.gate_policy import GateOverrides
    from colibri.domain.journal import RunStatus
    from colibri.domain.model import CheckStatus
    from colibri.domain.ports import Engine, Gate
    from colibri.domain.service_plan import ContainerPlan, LabelSlot

__all__ = [
    "Activity",
    "EngineFactory",
    "ForgetsBefore",
    "GateFactory",
    "Metrics",
    "RegistryCounters",
    "RunHistory",
    "UrlValidator",
]


class EngineFactory(Protocol):
    """The Docker daemon of each environment."""

    def engine_for(self, environment: Environment) -> Engine:
        """A connected engine for ``environment``'s endpoint, reused while the endpoint stays
        the same. Raises ``EngineUnavailable`` when the daemon cannot be reached and
        ``ConfigError`` when the endpoint cannot be used."""
        ...


class GateFactory(Protocol):
    """The update gate, with one setting's choices over the global defaults."""

    def gate_for(self, overrides: GateOverrides) -> Gate:
        """The gate for a container whose setting asks for ``overrides`` (labels still apply
        on top, as the gate reads them from the container)."""
        ...


class UrlValidator(Protocol):
    """Checks a notification URL against the notifier before it is saved."""

    def __call__(self, url: str) -> str:
        """The URL's redacted form; raises ``NotifyError`` saying what is wrong (never
        echoing the URL)."""
        ...


class Metrics(Protocol):
    """What the use cases count (``colibri.services.metrics.MetricsService`` exports it for
    Prometheus). Implementations never raise."""

    def observe_check(self, status: CheckStatus) -> None:
        """One container was checked, with this outcome."""
        ...

    def observe_run(self, status: RunStatus, trigger: str, seconds: float) -> None:
        """One update run (scheduled or asked for) finished after ``seconds``."""
        ...


class RegistryCounters(Protocol):
    """One registry's request counters as the registry client reports them
    (``colibri.registry.RegistryStats``)."""

    @property
    def registry(self) -> str: ...

    @property
    def requests(self) -> Mapping[str, int]:
        """Requests sent, by HTTP method."""
        ...

    @property
    def throttled(self) -> int:
        """Answers with status 429."""
        ...

    @property
    def retries(self) -> int:
        """Requests sent again after a 429, a 5xx or a network failure."""
        ...


class Activity(Protocol):
    """The numbered events of update runs (``colibri.store.events.SqlActivity``)."""

    def after(
        self, after_id: int, *, run_id: str | None = None, limit: int = 500
    ) -> list[ActivityEvent]:
        """Events with an id above ``after_id`` (of one run when ``run_id`` is given), oldest
        first, at most ``limit``."""
        ...

    def last_id(self) -> int:
        """The id of the newest event, 0 when there is none."""
        ...

    def forget_before(self, before: datetime) -> int:
        """Delete events older than ``before``; how many."""
        ...


class ForgetsBefore(Protocol):
    """A record that can drop its entries older than a moment (the notification log)."""

    def forget_before(self, before: datetime) -> int:
        """Delete entries recorded before ``before``; how many."""
        ...


class RunHistory(Protocol):
    """The journal's runs, as far as keeping them bounded goes."""

    def forget_runs(self, before: datetime, keep_per_container: int) -> int:
        """Delete finished runs started before ``before`` (with everything recorded about
        them), except the newest ``keep_per_container`` of each container; how many."""
        ...


class LabelSlots(Protocol):
    """The containers' plans and label-driven slots (``colibri.store.label_slots``)."""

    def sync(
        self, environment_id: int, plans: Mapping[str, tuple[ContainerPlan, datetime | None]]
    ) -> None: ...

    def get(self, environment_id: int, container_name: str) -> LabelSlot | None: ...

    def list_slots(self, environment_id: int | None = None) -> list[LabelSlot]: ...

    def due(self, now: datetime, limit: int) -> list[LabelSlot]: ...

    def claim(
        self,
        environment_id: int,
        container_name: str,
        expected_next_run_at: datetime,
        new_next_run_at: datetime | None,
    ) -> bool: ...

    def record_result(
        self,
        environment_id: int,
        container_name: str,
        status: RunStatus,
        *,
        run_id: str | None = None,
        next_run_at: datetime | None = None,
    ) -> None: ...
