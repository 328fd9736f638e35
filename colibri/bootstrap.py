"""The composition root: settings -> concrete adapters -> use cases.

The only module that names concrete adapters. Heavy imports (the store, SQLAlchemy) happen
inside the functions that need them, so ``colibri check`` starts fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from colibri.config import Settings
from colibri.domain.criteria import Criteria, IgnoreRule
from colibri.domain.gate_policy import GatePolicy, parse_ignore_rules
from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import Step
from colibri.domain.ports import (
    Clock,
    Gate,
    Journal,
    Registry,
    Scanner,
    ScanStore,
    SignatureVerifier,
)
from colibri.domain.refs import ImageRef, parse_reference
from colibri.errors import ConfigError
from colibri.services.check import CheckService

if TYPE_CHECKING:
    from colibri.services.scan import ScanService
    from colibri.services.update import UpdateService
    from colibri.store.factory import Store
    from colibri.update.executor import UpdateOptions

__all__ = ["checker", "gate_policy", "journal", "scanner_service", "update_options", "updater"]


@contextmanager
def checker(settings: Settings) -> Iterator[CheckService]:
    """A check service on the configured daemon and registries."""
    with ExitStack() as stack:
        yield _checker(settings, stack)


def _checker(settings: Settings, stack: ExitStack) -> CheckService:
    from colibri.engine import connect
    from colibri.registry.client import RegistryClient
    from colibri.registry.credentials import DockerConfigCredentials
    from colibri.registry.ratelimits import RetryPolicy
    from colibri.registry.tls import TLSPolicy

    engine = connect(
        settings.docker_host or None,
        timeout=settings.engine_timeout,
        pool_size=settings.engine_concurrency,
    )
    stack.callback(engine.close)
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
    return CheckService(engine, registry, concurrency=settings.engine_concurrency)


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
    from colibri.update.executor import UpdateOptions

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
        level=settings.criteria,
        only_fixable=settings.criteria_only_fixable,
        ignore=ignore,
        unknown_as=settings.criteria_unknown_as,
        not_worse_than_running=settings.criteria_not_worse,
        on_failure=settings.scan_failure,
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
