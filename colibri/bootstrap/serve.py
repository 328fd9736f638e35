"""``colibri serve``: the store, the scheduler, the API and their services, wired together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from colibri.bootstrap.cli import update_options
from colibri.bootstrap.clients import (
    file_in,
    open_store,
    pull_auth_for,
    registry_auth_for,
    registry_client,
)
from colibri.bootstrap.gate import gate_factory
from colibri.config import Settings
from colibri.domain.environments import Environment, TlsFiles
from colibri.domain.invalid import Invalid
from colibri.domain.ports import (
    Clock,
    Engine,
    Notifier,
    Units,
)
from colibri.errors import ColibriError, ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from colibri.api import ApiServices
    from colibri.domain.health import Probe
    from colibri.domain.messages import Message
    from colibri.domain.model import Descriptor, RemoteManifest
    from colibri.domain.refs import ImageRef
    from colibri.engine import DockerEngine
    from colibri.registry.client import RegistryClient
    from colibri.registry.state import RegistryStats
    from colibri.scheduler import Scheduler
    from colibri.services.bad_digests import BadDigestService
    from colibri.services.containers import ContainerService
    from colibri.services.controls import ControlsFactory
    from colibri.services.environments import EnvironmentService
    from colibri.services.metrics import MetricsService
    from colibri.services.notifications import NotificationService
    from colibri.services.ports import UrlValidator
    from colibri.services.retention import RetentionService
    from colibri.services.runner import SettingRunner
    from colibri.services.runs import RunService
    from colibri.services.service_plans import ServicePlans
    from colibri.services.tokens import TokenService
    from colibri.store.factory import Store
    from colibri.update.recovery import RecoveryOutcome


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    """``colibri serve``, assembled and recovered, not yet started.

    ``app`` is the API (an ASGI app) for the caller to serve, on ``services``; ``scheduler``
    is started by the caller too, and so is the first admin token made
    (``tokens.ensure_admin``), once the API listens: a token is never made that could not
    be shown. ``recovered`` is what recovery finished or undid before anything else ran.
    """

    app: FastAPI
    services: ApiServices
    scheduler: Scheduler
    runs: RunService
    tokens: TokenService
    local: Environment
    recovered: tuple[RecoveryOutcome, ...]

    def stop(self, grace: float) -> bool:
        """Stop claiming and taking runs, then wait up to ``grace`` seconds in all for the
        running updates; ``True`` when none is left (the rest are left to recovery)."""
        from colibri.clock import SystemClock

        clock = SystemClock()
        deadline = clock.monotonic() + grace
        self.scheduler.request_stop()
        scheduled = self.scheduler.stop(grace)
        asked = self.runs.drain(max(deadline - clock.monotonic(), 0.0))
        return scheduled and asked


@contextmanager
def serve(settings: Settings) -> Iterator[Service]:
    """``colibri serve``'s parts on the configured store, daemons and registries.

    On entry: the store is opened (and migrated), the ``local`` environment made to exist on
    the configured daemon, every environment's interrupted updates recovered. On exit every
    connection is closed.
    """
    with ExitStack() as stack:
        parts = _serve_parts(settings, stack)
        stack.callback(parts.runs.drain, 0.0)  # no thread may outlive the store it uses
        stack.callback(parts.scheduler.stop, 0.0)
        local = _ensure_local(settings, parts.environments)
        recovered = _recover_everywhere(parts)
        parts.retention.prune()
        services = _api_services(parts, settings)
        yield Service(
            app=_create_app(services, settings),
            services=services,
            scheduler=parts.scheduler,
            runs=parts.runs,
            tokens=parts.tokens,
            local=local,
            recovered=tuple(recovered),
        )


@dataclass(frozen=True)
class _ServeParts:
    store: Store
    clock: Clock
    engines: _EngineCache
    environments: EnvironmentService
    containers: ContainerService
    runs: RunService
    tokens: TokenService
    metrics: MetricsService
    scheduler: Scheduler
    bad_digests: BadDigestService
    retention: RetentionService
    units: Units


def _serve_parts(settings: Settings, stack: ExitStack) -> _ServeParts:
    from colibri.clock import SystemClock
    from colibri.domain.retention import Retention
    from colibri.services.bad_digests import BadDigestService
    from colibri.services.containers import ContainerService
    from colibri.services.environments import EnvironmentService
    from colibri.services.retention import RetentionService
    from colibri.services.runs import RunService
    from colibri.services.tokens import TokenService

    store = stack.enter_context(open_store(settings))
    clock = SystemClock()
    registry = _LazyRegistry(settings, stack)
    engines = _EngineCache(settings)
    stack.callback(engines.close)
    metrics = _metrics(registry, store, clock)
    notifications = _notifications(settings, store, clock)
    bad_digests = BadDigestService(store.bad_digests, store.journal, clock)
    controls = _controls(settings, store, registry, clock)
    runner = _runner(
        settings, store, registry, engines, notifications, metrics, clock, controls, bad_digests
    )
    statuses = store.container_statuses
    containers = ContainerService(
        store.environments,
        statuses,
        engines,
        registry,
        notifications,
        metrics,
        clock,
        controls=controls,
    )
    runs = RunService(
        store.journal,
        runner,
        store.auto_updates,
        store.environments,
        clock,
        activity=store.activity,
        workers=settings.scheduler_workers,
    )
    retention = RetentionService(
        store.journal,
        store.notification_log,
        clock,
        Retention(settings.notify_dedup_days, settings.history_days, settings.history_runs),
        audit=store.audit,
    )

    def periodic() -> None:
        containers.check_now()
        retention.prune()

    return _ServeParts(
        units=_LazyUnits(settings.systemd_bus),
        store=store,
        clock=clock,
        engines=engines,
        environments=EnvironmentService(store.environments, clock),
        containers=containers,
        runs=runs,
        tokens=TokenService(store.tokens, clock),
        metrics=metrics,
        scheduler=_scheduler(
            settings, store, runner, periodic, _plans(settings, store, engines, clock), clock
        ),
        retention=retention,
        bad_digests=bad_digests,
    )


class _LazyRegistry:
    """The registry client, made when a registry is first asked something: an idle service
    (no check due yet) does not load the HTTP stack. Closed with ``stack`` if it was made."""

    def __init__(self, settings: Settings, stack: ExitStack) -> None:
        self.settings = settings
        self.stack = stack
        self._lock = threading.Lock()
        self._client: RegistryClient | None = None

    def client(self) -> RegistryClient:
        with self._lock:
            if self._client is None:
                self._client = registry_client(self.settings, self.stack)
            return self._client

    def head(self, ref: ImageRef) -> RemoteManifest:
        return self.client().head(ref)

    def fetch(self, ref: ImageRef) -> RemoteManifest:
        return self.client().fetch(ref)

    def forget_tags(self) -> None:
        self.client().forget_tags()

    def list_tags(self, ref: ImageRef, *, page_size: int | None = None) -> list[str]:
        return self.client().list_tags(ref, page_size=page_size)

    def get_blob(self, ref: ImageRef, digest: str, max_bytes: int) -> bytes:
        return self.client().get_blob(ref, digest, max_bytes)

    def referrers(
        self, ref: ImageRef, digest: str, artifact_type: str | None = None
    ) -> list[Descriptor] | None:
        return self.client().referrers(ref, digest, artifact_type)

    def stats(self) -> Mapping[str, RegistryStats]:
        """The client's counters (none before its first request)."""
        with self._lock:
            client = self._client
        return client.stats() if client is not None else {}


class _LazyUnits:
    """systemd's units on ``bus``, its D-Bus client loaded with the first unit restart (only
    podman containers run by units ever need it)."""

    def __init__(self, bus: str) -> None:
        self.bus = bus
        self._lock = threading.Lock()
        self._units: Units | None = None

    def _get(self) -> Units:
        with self._lock:
            if self._units is None:
                from colibri.systemd import SystemdUnits

                self._units = SystemdUnits(self.bus)
            return self._units

    def restart(self, unit: str) -> str:
        return self._get().restart(unit)

    def active_state(self, unit: str) -> str:
        return self._get().active_state(unit)


class _LazyProber:
    """The network prober, loaded for the first ``colibri.probe`` (with the engine adapter's
    HTTP stack)."""

    def probe(self, address: str, probe: Probe, timeout: float) -> str | None:
        from colibri.engine.probe import NetworkProber

        return NetworkProber().probe(address, probe, timeout)


def _metrics(registry: _LazyRegistry, store: Store, clock: Clock) -> MetricsService:
    """Metrics in a registry of their own, never prometheus_client's global one."""
    from prometheus_client import CollectorRegistry

    from colibri.services.fleet import FleetFigures
    from colibri.services.metrics import MetricsService

    fleet = FleetFigures(store.environments, store.container_statuses, store.last_outcomes, clock)
    return MetricsService(CollectorRegistry(auto_describe=True), registry.stats, fleet)


def _notifications(settings: Settings, store: Store, clock: Clock) -> NotificationService:
    from colibri.services.notifications import ConfiguredTargets, NotificationService

    targets = ConfiguredTargets(settings.notify_urls, store.notification_targets)
    notifier = _LazyNotifier(settings.notify_allow_private)
    return NotificationService(notifier, targets, store.notification_log, clock)


class _LazyNotifier:
    """The Apprise notifier, loaded with the first message: an idle service never imports
    Apprise (its plugins take more memory than the rest of the service)."""

    def __init__(self, allow_private: bool) -> None:
        self._lock = threading.Lock()
        self._notifier: Notifier | None = None
        self._allow_private = allow_private

    def send(self, target_url: str, message: Message) -> None:
        with self._lock:
            if self._notifier is None:
                from colibri.notify import AppriseNotifier

                self._notifier = AppriseNotifier(allow_private=self._allow_private)
            notifier = self._notifier
        notifier.send(target_url, message)


def _url_validator(allow_private: bool) -> UrlValidator:
    """``colibri.notify.validate_url`` with the address rules, imported when a target is
    first saved."""

    def validate(url: str) -> str:
        from colibri.notify import validate_url

        return validate_url(url, allow_private=allow_private)

    return validate


def _controls(
    settings: Settings, store: Store, registry: _LazyRegistry, clock: Clock
) -> ControlsFactory:
    from colibri.services.controls import ControlDefaults, ControlsFactory, ControlStoreSet

    return ControlsFactory(
        registry,
        clock,
        ControlStoreSet(store.skips, store.seen_images, store.environments, store.auto_updates),
        ControlDefaults(settings.window, settings.min_age),
    )


def _runner(
    settings: Settings,
    store: Store,
    registry: _LazyRegistry,
    engines: _EngineCache,
    notifications: NotificationService,
    metrics: MetricsService,
    clock: Clock,
    controls: ControlsFactory,
    bad_digests: BadDigestService,
) -> SettingRunner:
    from colibri.bootstrap.cli import self_updater
    from colibri.services.runner import RunnerStores, SettingRunner, UpdateTools

    tools = UpdateTools(
        engines=engines,
        registry=registry,
        gates=gate_factory(settings, registry, store.reports, clock),
        options=update_options(settings, dry_run=False, cleanup=settings.cleanup),
        prober=_LazyProber(),
        registry_auth=registry_auth_for(settings),
        controls=controls,
        self_updater=self_updater(settings),
        units=_LazyUnits(settings.systemd_bus),
    )
    stores = RunnerStores(
        store.environments,
        store.auto_updates,
        store.journal,
        store.container_statuses,
        slots=store.label_slots,
        bad_digests=bad_digests,
    )
    return SettingRunner(stores, tools, notifications, metrics, clock)


def _plans(settings: Settings, store: Store, engines: _EngineCache, clock: Clock) -> ServicePlans:
    """The plans of the opted-in containers, from their labels and the service's defaults."""
    from colibri.services.service_plans import PlanDefaults, ServicePlans

    defaults = PlanDefaults(
        settings.schedule, settings.effective_timezone, settings.cleanup, settings.scope
    )
    return ServicePlans(
        store.environments, engines, store.auto_updates, store.label_slots, clock, defaults
    )


def _scheduler(
    settings: Settings,
    store: Store,
    runner: SettingRunner,
    periodic: Callable[[], object],
    plans: ServicePlans,
    clock: Clock,
) -> Scheduler:
    from colibri.scheduler import Scheduler, SchedulerOptions

    interval = settings.check_interval.total_seconds() if settings.check_interval else 0.0
    options = SchedulerOptions(
        workers=settings.scheduler_workers,
        tick=settings.scheduler_tick,
        grace=settings.shutdown_grace,
        check_interval=interval,
    )
    return Scheduler(
        store.auto_updates,
        runner,
        clock,
        options,
        periodic=periodic,
        slots=store.label_slots,
        sync=plans.sync_all,
    )


class _EngineCache:
    """The ``EngineFactory``: one connection per environment endpoint, opened on first use
    (a daemon that does not answer is asked again next time), all closed at exit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._engines: dict[tuple[int, str], DockerEngine] = {}

    def engine_for(self, environment: Environment) -> Engine:
        from colibri.engine import connect

        key = (environment.id, environment.endpoint.url)
        with self._lock:
            found = self._engines.get(key)
        if found is not None:
            return found
        files = self.settings.environment_files_dir
        engine = connect(
            environment.endpoint.url,
            timeout=self.settings.engine_timeout,
            pool_size=self.settings.engine_concurrency,
            tls=_tls_in(environment, files),
            pull_auth=pull_auth_for(environment, files),
        )
        with self._lock:
            kept = self._engines.setdefault(key, engine)
        if kept is not engine:
            engine.close()
        return kept

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()


def _tls_in(environment: Environment, files: Path) -> TlsFiles | None:
    """The environment's TLS files as paths inside the environment files directory."""
    tls = environment.endpoint.tls
    if tls is None:
        return None

    def inside(name: str | None) -> str | None:
        return None if name is None else str(file_in(files, name, environment.name))

    return TlsFiles(inside(tls.ca), inside(tls.cert), inside(tls.key), verify=tls.verify)


def _ensure_local(settings: Settings, environments: EnvironmentService) -> Environment:
    from colibri.domain.environments import LOCAL_ENDPOINT

    endpoint = settings.docker_host or LOCAL_ENDPOINT
    try:
        return environments.ensure_local(endpoint)
    except Invalid as exc:
        raise ConfigError(f"COLIBRI_DOCKER_HOST={endpoint!r}: {exc.reason}") from None


def _recover_everywhere(parts: _ServeParts) -> list[RecoveryOutcome]:
    """Finish or undo the interrupted updates of every environment that has some; an
    environment whose daemon does not answer is left for the next start."""
    from colibri.update.recovery import Recoverer
    from colibri.update.verify import Verifier

    outcomes: list[RecoveryOutcome] = []
    for environment in parts.environments.list():
        if not parts.store.journal.unfinished_runs(environment.name):
            continue
        try:
            engine = parts.engines.engine_for(environment)
            verifier = Verifier(engine, parts.clock)
            recoverer = Recoverer(
                engine,
                parts.store.journal,
                verifier,
                environment=environment.name,
                units=parts.units,
            )
            outcomes.extend(recoverer.recover_all())
        except ColibriError as exc:
            log.warning(
                "environment %s: interrupted updates not recovered: %s", environment.name, exc
            )
    return outcomes


def _api_services(parts: _ServeParts, settings: Settings) -> ApiServices:
    from colibri.api import ApiServices
    from colibri.services.audit import AuditService
    from colibri.services.health import HealthService
    from colibri.services.schedules import ScheduleService
    from colibri.services.sessions import SessionService
    from colibri.services.skips import SkipService
    from colibri.services.targets import TargetService

    store, clock = parts.store, parts.clock
    allow = settings.notify_allow_private
    return ApiServices(
        environments=parts.environments,
        schedules=ScheduleService(store.auto_updates, store.environments, clock),
        runs=parts.runs,
        containers=parts.containers,
        tokens=parts.tokens,
        targets=TargetService(
            store.notification_targets, _LazyNotifier(allow), _url_validator(allow), clock
        ),
        metrics=parts.metrics,
        health=HealthService(store.environments, parts.engines, lambda: parts.scheduler.alive),
        sessions=SessionService(store.web_sessions, store.tokens, clock, settings.session_lifetime),
        skips=SkipService(store.skips, clock),
        audit=AuditService(store.audit),
        bad_digests=parts.bad_digests,
        plans=store.label_slots,
    )


def _create_app(services: ApiServices, settings: Settings) -> FastAPI:
    from colibri.api import create_app

    return create_app(services, settings)
