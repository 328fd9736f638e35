"""Prometheus metrics of ``colibri serve`` (``GET /metrics``).

``MetricsService`` implements the :class:`~colibri.services.ports.Metrics` port on a
``prometheus_client.CollectorRegistry`` that the composition root creates (never the
process-wide default registry, so two services in one process, or the tests, stay apart):

* ``colibri_checks_total{status}``: containers checked, by check outcome;
* ``colibri_updates_total{result}``: update runs finished, by outcome (``updated``,
  ``up_to_date``, ``blocked``, ``rolled_back``, ``failed``, ``skipped``);
* ``colibri_rollbacks_total`` and ``colibri_blocked_total``: the two outcomes people alert on;
* ``colibri_run_duration_seconds{trigger}``: how long runs took (``schedule`` or ``api``);
* ``colibri_containers{environment,status}`` (gauge): containers per status as the fleet
  stands (:mod:`colibri.domain.fleet`), and ``colibri_last_check_age_seconds{environment}``
  (gauge): seconds since the newest check of the environment, both read when Prometheus
  scrapes;
* ``colibri_registry_requests_total{registry,method}``, ``colibri_registry_throttled_total
  {registry}`` (429 answers) and ``colibri_registry_retries_total{registry}``: read from the
  registry client's own counters when Prometheus scrapes, so nothing is counted twice.

prometheus_client is imported when the service is built, not when this module is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from colibri.domain.fleet import EnvironmentFigures
from colibri.domain.journal import RunStatus
from colibri.domain.model import CheckStatus
from colibri.services.ports import RegistryCounters

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector

__all__ = ["DURATION_BUCKETS", "FleetSource", "MetricsService", "RegistryStatsSource"]

log = logging.getLogger(__name__)

#: Seconds: an up-to-date check takes about one, an update with a stability window tens, a
#: slow health check minutes.
DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

#: What the registry client's ``stats`` method is: counters per registry.
RegistryStatsSource = Callable[[], Mapping[str, RegistryCounters]]
#: The fleet's figures now, and the time they are measured at.
FleetSource = Callable[[], tuple[Sequence[EnvironmentFigures], datetime]]


class MetricsService:
    """Counts checks and runs into ``registry`` and renders the exposition text."""

    def __init__(
        self,
        registry: CollectorRegistry,
        registry_stats: RegistryStatsSource | None = None,
        fleet: FleetSource | None = None,
    ) -> None:
        from prometheus_client import Counter, Histogram

        self.registry = registry
        self._checks = Counter(
            "colibri_checks", "Containers checked, by outcome", ["status"], registry=registry
        )
        self._updates = Counter(
            "colibri_updates", "Update runs finished, by outcome", ["result"], registry=registry
        )
        self._rollbacks = Counter(
            "colibri_rollbacks", "Updates rolled back to the old container", registry=registry
        )
        self._blocked = Counter("colibri_blocked", "Updates blocked by the gate", registry=registry)
        self._durations = Histogram(
            "colibri_run_duration_seconds",
            "Duration of update runs, check included",
            ["trigger"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        if registry_stats is not None:
            registry.register(cast("Collector", _RegistryCollector(registry_stats)))
        if fleet is not None:
            registry.register(cast("Collector", _FleetCollector(fleet)))

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` of :meth:`render`'s output."""
        from prometheus_client import CONTENT_TYPE_LATEST

        return str(CONTENT_TYPE_LATEST)

    def render(self) -> bytes:
        """Every metric in the Prometheus text format."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    def observe_check(self, status: CheckStatus) -> None:
        """One container checked."""
        try:
            self._checks.labels(status=CheckStatus(status).value).inc()
        except Exception:  # metrics must never break what they measure
            log.exception("could not count a check")

    def observe_run(self, status: RunStatus, trigger: str, seconds: float) -> None:
        """One update run finished."""
        try:
            result = RunStatus(status)
            self._updates.labels(result=result.value).inc()
            if result is RunStatus.ROLLED_BACK:
                self._rollbacks.inc()
            elif result is RunStatus.BLOCKED:
                self._blocked.inc()
            self._durations.labels(trigger=trigger).observe(max(seconds, 0.0))
        except Exception:  # metrics must never break what they measure
            log.exception("could not count a run")


class _RegistryCollector:
    """Registry request counters, read from the registry client at scrape time."""

    def __init__(self, stats: RegistryStatsSource) -> None:
        self.stats = stats

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: the registries are only known once they were asked."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        """The three registry counter families."""
        from prometheus_client.core import CounterMetricFamily

        requests = CounterMetricFamily(
            "colibri_registry_requests",
            "HTTP requests sent to registries (token requests included)",
            labels=["registry", "method"],
        )
        throttled = CounterMetricFamily(
            "colibri_registry_throttled", "429 answers from registries", labels=["registry"]
        )
        retries = CounterMetricFamily(
            "colibri_registry_retries", "Registry requests sent again", labels=["registry"]
        )
        for key, counters in sorted(self.stats().items()):
            for method, count in sorted(counters.requests.items()):
                requests.add_metric([key, method], count)
            throttled.add_metric([key], counters.throttled)
            retries.add_metric([key], counters.retries)
        yield from (requests, throttled, retries)


class _FleetCollector:
    """The fleet's gauges, computed at scrape time; a source that fails gives none."""

    def __init__(self, fleet: FleetSource) -> None:
        self.fleet = fleet

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: the environments are read at scrape time."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        """Containers per status and the age of the last check, per environment."""
        from prometheus_client.core import GaugeMetricFamily

        containers = GaugeMetricFamily(
            "colibri_containers",
            "Containers per status (last check, or the last attempt while an update is pending)",
            labels=["environment", "status"],
        )
        age = GaugeMetricFamily(
            "colibri_last_check_age_seconds",
            "Seconds since the newest check of the environment's containers",
            labels=["environment"],
        )
        try:
            environments, now = self.fleet()
        except Exception:  # metrics must never break what they measure
            log.exception("could not read the fleet's figures")
            return
        for env in environments:
            for status, count in sorted(env.counts.items()):
                containers.add_metric([env.environment, status], count)
            seconds = env.check_age(now)
            if seconds is not None:
                age.add_metric([env.environment], seconds)
        yield from (containers, age)
