"""The composition root: settings -> concrete adapters -> use cases.

The only module that names concrete adapters. Heavy imports (the store, SQLAlchemy) happen
inside the functions that need them, so ``colibri check`` starts fast.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from colibri.config import Settings
from colibri.domain.criteria import Criteria, IgnoreRule
from colibri.domain.environments import Environment
from colibri.domain.gate_policy import GateOverrides, GatePolicy, parse_ignore_rules
from colibri.domain.health import VerifyPolicy
from colibri.domain.invalid import Invalid
from colibri.domain.journal import Step
from colibri.domain.ports import (
    Clock,
    Engine,
    Gate,
    Journal,
    Registry,
    Scanner,
    ScanStore,
    SignatureVerifier,
)
from colibri.domain.refs import ImageRef, parse_reference
from colibri.errors import ColibriError, ConfigError
from colibri.services.check import CheckService

if TYPE_CHECKING:
    from fastapi import FastAPI

    from colibri.api import ApiServices
    from colibri.engine import DockerEngine
    from colibri.registry.client import RegistryClient
    from colibri.scheduler import Scheduler
    from colibri.services.containers import ContainerService
    from colibri.services.environments import EnvironmentService
    from colibri.services.metrics import MetricsService
    from colibri.services.notifications import NotificationService
    from colibri.services.runner import SettingRunner
    from colibri.services.runs import RunService
    from colibri.services.scan import ScanService
    from colibri.services.tokens import TokenService
    from colibri.services.update import UpdateService
    from colibri.store.factory import Store
    from colibri.update.model import UpdateOptions
    from colibri.update.recovery import RecoveryOutcome

__all__ = [
    "Service",
    "checker",
    "gate_policy",
    "journal",
    "scanner_service",
    "serve",
    "token_service",
    "update_options",
    "updater",
]

log = logging.getLogger(__name__)


@contextmanager
def checker(settings: Settings) -> Iterator[CheckService]:
    """A check service on the configured daemon and registries."""
    with ExitStack() as stack:
        yield _checker(settings, stack)


def _checker(settings: Settings, stack: ExitStack) -> CheckService:
    from colibri.engine import connect

    engine = connect(
        settings.docker_host or None,
        timeout=settings.engine_timeout,
        pool_size=settings.engine_concurrency,
    )
    stack.callback(engine.close)
    registry = _registry_client(settings, stack)
    return CheckService(engine, registry, concurrency=settings.engine_concurrency)


def _registry_client(settings: Settings, stack: ExitStack) -> RegistryClient:
    """The registry client (closed with ``stack``): one per process, so rate limits and
    their counters are shared by everything that asks registries."""
    from colibri.registry.client import RegistryClient
    from colibri.registry.credentials import DockerConfigCredentials
    from colibri.registry.ratelimits import RetryPolicy
    from colibri.registry.tls import TLSPolicy

    registry = RegistryClient(
        credentials=DockerConfigCredentials(settings.docker_config / "config.json"),
        tls=TLSPolicy(certs_dir=settings.certs_dir, insecure=settings.insecure_registries),
        concurrency=settings.registry_concurrency,
        timeout=settings.registry_timeout,
        retry=RetryPolicy(
            wait_budget=settings.rate_limit_wait,
            rate_limit_reserve=settings.rate_limit_reserve,
        ),
    )
    stack.callback(registry.close)
    return registry


@contextmanager
def journal(settings: Settings) -> Iterator[Journal]:
    """The update journal in the configured database (migrated on open)."""
    with _store(settings) as store:
        yield store.journal


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    from colibri.store.factory import make_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with make_store(settings.effective_database_url) as store:
        yield store


@contextmanager
def updater(settings: Settings) -> Iterator[UpdateService]:
    """An update service: check, executor, recovery, journal."""
    from colibri.engine.probe import NetworkProber
    from colibri.registry.clock import SystemClock
    from colibri.services.update import UpdateService
    from colibri.update.executor import Executor
    from colibri.update.recovery import Recoverer
    from colibri.update.verify import Verifier

    with ExitStack() as stack:
        check = _checker(settings, stack)
        store = stack.enter_context(_store(settings))
        store_journal = store.journal
        clock = SystemClock()
        engine = check.engine
        executor = Executor(
            engine,
            store_journal,
            clock,
            environment=settings.environment,
            gate=_gate(settings, check.registry, store.reports, clock),
            prober=NetworkProber(),
            registry_auth=_registry_auth(settings),
        )
        verifier = Verifier(engine, clock)
        recoverer = Recoverer(
            engine,
            store_journal,
            verifier,
            environment=settings.environment,
        )
        yield UpdateService(check, executor, recoverer)


def update_options(settings: Settings, *, dry_run: bool, cleanup: bool) -> UpdateOptions:
    """Options for ``colibri update`` from the settings and the command line."""
    from colibri.update.model import UpdateOptions

    failpoint = settings.failpoint or None
    if failpoint is not None and failpoint not in {step.value for step in Step}:
        known = ", ".join(step.value for step in Step)
        raise ConfigError(f"COLIBRI_FAILPOINT={failpoint!r}: not a step name ({known})")
    return UpdateOptions(
        dry_run=dry_run,
        cleanup=cleanup,
        verify=VerifyPolicy(
            health_timeout=settings.health_timeout,
            stability_window=settings.stability_window,
            probe_timeout=settings.probe_timeout,
        ),
        failpoint=failpoint,
    )


@contextmanager
def scanner_service(settings: Settings) -> Iterator[ScanService]:
    """The ``colibri scan`` use case: the configured scanner(s), daemon, registry, store."""
    from colibri.registry.clock import SystemClock
    from colibri.services.scan import ScanService

    scanner = _scanner(settings)
    if scanner is None:
        raise ConfigError("colibri scan needs a scanner: set COLIBRI_SCANNER=trivy|grype|both")
    with ExitStack() as stack:
        check = _checker(settings, stack)
        store = stack.enter_context(_store(settings))
        yield ScanService(
            check.engine,
            check.registry,
            scanner,
            SystemClock(),
            gate_policy(settings).criteria,
            store=store.reports,
            pull_missing=settings.scan_source == "docker",
            registry_auth=_registry_auth(settings),
        )


def gate_policy(settings: Settings) -> GatePolicy:
    """The global gate policy: criteria settings, the ignore file, the signature requirement."""
    ignore: tuple[IgnoreRule, ...] = ()
    if settings.ignore_file is not None:
        source = f"COLIBRI_IGNORE_FILE={settings.ignore_file}"
        try:
            text = settings.ignore_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: cannot be read ({exc})") from None
        ignore = parse_ignore_rules(text, source)
    criteria = Criteria(
        level=settings.criteria_level,
        only_fixable=settings.criteria_only_fixable,
        ignore=ignore,
        unknown_as=settings.unknown_as,
        not_worse_than_running=settings.criteria_not_worse,
        on_failure=settings.on_scan_failure,
        max_db_age=settings.scan_db_max_age,
    )
    return GatePolicy(criteria, settings.require_signature)


def _gate(settings: Settings, registry: Registry, store: ScanStore, clock: Clock) -> Gate:
    """Always the scan gate, even with nothing required globally: a container's labels may
    require a scan or a signature, and must then be honoured (or block), never ignored."""
    from colibri.services.gate import ScanGate

    policy = gate_policy(settings)
    scanner = _scanner(settings)
    if policy.criteria.scans and scanner is None:
        raise ConfigError(f"COLIBRI_CRITERIA={policy.criteria.level} needs COLIBRI_SCANNER")
    verifier = _signature_verifier(settings, registry)
    if policy.require_signature and verifier is None:
        raise ConfigError("COLIBRI_REQUIRE_SIGNATURE=true needs COLIBRI_COSIGN_KEY")
    return ScanGate(policy, clock, scanner=scanner, store=store, verifier=verifier)


def _scanner(settings: Settings) -> Scanner | None:
    from colibri.scan import ImageSource, ScanOptions, make_scanner

    if settings.scanner == "none":
        return None
    options = ScanOptions(
        trivy_path=settings.trivy_path,
        grype_path=settings.grype_path,
        timeout=settings.scan_timeout,
        source=ImageSource(settings.scan_source),
        trivy_server=settings.trivy_server,
    )
    return make_scanner(settings.scanner, options)


def _signature_verifier(settings: Settings, registry: Registry) -> SignatureVerifier | None:
    from colibri.scan.cosign import CosignVerifier, load_public_keys

    if settings.cosign_key is None:
        return None
    source = f"COLIBRI_COSIGN_KEY={settings.cosign_key}"
    try:
        pem = settings.cosign_key.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot be read ({exc})") from None
    repository = settings.signature_repository
    return CosignVerifier(
        registry,
        load_public_keys(pem, source),
        signature_repository=parse_reference(repository) if repository else None,
    )


def _registry_auth(settings: Settings) -> Callable[[ImageRef], Mapping[str, str] | None]:
    """What the daemon needs to pull from a registry: Docker's configured credentials."""
    from colibri.registry.credentials import DockerConfigCredentials

    credentials = DockerConfigCredentials(settings.docker_config / "config.json")

    def registry_auth(ref: ImageRef) -> Mapping[str, str] | None:
        found = credentials.lookup(ref.registry_key)
        if found is None:
            return None
        if found.identity_token:
            return {"identitytoken": found.identity_token}
        return {"username": found.username, "password": found.password}

    return registry_auth


# -- colibri serve and colibri token ------------------------------------------------------------


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
        from colibri.registry.clock import SystemClock

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
        services = _api_services(parts)
        yield Service(
            app=_create_app(services, settings),
            services=services,
            scheduler=parts.scheduler,
            runs=parts.runs,
            tokens=parts.tokens,
            local=local,
            recovered=tuple(recovered),
        )


@contextmanager
def token_service(settings: Settings) -> Iterator[TokenService]:
    """The API tokens in the configured database (``colibri token``)."""
    from colibri.registry.clock import SystemClock
    from colibri.services.tokens import TokenService

    with _store(settings) as store:
        yield TokenService(store.tokens, SystemClock())


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


def _serve_parts(settings: Settings, stack: ExitStack) -> _ServeParts:
    from colibri.registry.clock import SystemClock
    from colibri.services.containers import ContainerService
    from colibri.services.environments import EnvironmentService
    from colibri.services.runs import RunService
    from colibri.services.tokens import TokenService

    store = stack.enter_context(_store(settings))
    clock = SystemClock()
    registry = _registry_client(settings, stack)
    engines = _EngineCache(settings)
    stack.callback(engines.close)
    metrics = _metrics(registry)
    notifications = _notifications(store, clock)
    runner = _runner(settings, store, registry, engines, notifications, metrics, clock)
    statuses = store.container_statuses
    containers = ContainerService(
        store.environments, statuses, engines, registry, notifications, metrics, clock
    )
    runs = RunService(
        store.journal,
        runner,
        store.auto_updates,
        store.environments,
        clock,
        workers=settings.scheduler_workers,
    )
    return _ServeParts(
        store=store,
        clock=clock,
        engines=engines,
        environments=EnvironmentService(store.environments, clock),
        containers=containers,
        runs=runs,
        tokens=TokenService(store.tokens, clock),
        metrics=metrics,
        scheduler=_scheduler(settings, store, runner, containers, clock),
    )


def _metrics(registry: RegistryClient) -> MetricsService:
    """Metrics in a registry of their own, never prometheus_client's global one."""
    from prometheus_client import CollectorRegistry

    from colibri.services.metrics import MetricsService

    return MetricsService(CollectorRegistry(auto_describe=True), registry.stats)


def _notifications(store: Store, clock: Clock) -> NotificationService:
    from colibri.notify import AppriseNotifier
    from colibri.services.notifications import NotificationService

    return NotificationService(
        AppriseNotifier(), store.notification_targets, store.notification_log, clock
    )


def _runner(
    settings: Settings,
    store: Store,
    registry: RegistryClient,
    engines: _EngineCache,
    notifications: NotificationService,
    metrics: MetricsService,
    clock: Clock,
) -> SettingRunner:
    from colibri.engine.probe import NetworkProber
    from colibri.services.runner import RunnerStores, SettingRunner, UpdateTools

    tools = UpdateTools(
        engines=engines,
        registry=registry,
        gates=_gate_factory(settings, registry, store.reports, clock),
        options=update_options(settings, dry_run=False, cleanup=False),
        prober=NetworkProber(),
        registry_auth=_registry_auth(settings),
    )
    stores = RunnerStores(
        store.environments, store.auto_updates, store.journal, store.container_statuses
    )
    return SettingRunner(stores, tools, notifications, metrics, clock)


def _scheduler(
    settings: Settings,
    store: Store,
    runner: SettingRunner,
    containers: ContainerService,
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
    return Scheduler(store.auto_updates, runner, clock, options, periodic=containers.check_now)


class _GateFactory:
    """One ``ScanGate`` per setting: the global policy with the setting's choices on top."""

    def __init__(self, policy: GatePolicy, clock: Clock, **ports: Any) -> None:
        self.policy = policy
        self.clock = clock
        self.ports = ports

    def gate_for(self, overrides: GateOverrides) -> Gate:
        from colibri.services.gate import ScanGate

        return ScanGate(overrides.apply(self.policy), self.clock, **self.ports)


def _gate_factory(
    settings: Settings, registry: Registry, store: ScanStore, clock: Clock
) -> _GateFactory:
    """Refuses, at start, global settings that cannot work (as ``colibri update`` does); a
    setting asking for a scan without a scanner is blocked by its gate instead."""
    _gate(settings, registry, store, clock)
    return _GateFactory(
        gate_policy(settings),
        clock,
        scanner=_scanner(settings),
        store=store,
        verifier=_signature_verifier(settings, registry),
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
        engine = connect(
            environment.endpoint.url,
            timeout=self.settings.engine_timeout,
            pool_size=self.settings.engine_concurrency,
            tls=environment.endpoint.tls,
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
                engine, parts.store.journal, verifier, environment=environment.name
            )
            outcomes.extend(recoverer.recover_all())
        except ColibriError as exc:
            log.warning(
                "environment %s: interrupted updates not recovered: %s", environment.name, exc
            )
    return outcomes


def _api_services(parts: _ServeParts) -> ApiServices:
    from colibri.api import ApiServices
    from colibri.notify import AppriseNotifier, validate_url
    from colibri.services.health import HealthService
    from colibri.services.schedules import ScheduleService
    from colibri.services.targets import TargetService

    store, clock = parts.store, parts.clock
    return ApiServices(
        environments=parts.environments,
        schedules=ScheduleService(store.auto_updates, store.environments, clock),
        runs=parts.runs,
        containers=parts.containers,
        tokens=parts.tokens,
        targets=TargetService(store.notification_targets, AppriseNotifier(), validate_url, clock),
        metrics=parts.metrics,
        health=HealthService(store.environments, parts.engines, lambda: parts.scheduler.alive),
    )


def _create_app(services: ApiServices, settings: Settings) -> FastAPI:
    from colibri.api import create_app

    return create_app(services, settings)
