"""What the one-shot commands need: check, update, recover, history, scan, token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from colibri.bootstrap.clients import check_service, open_store, registry_auth_for
from colibri.config import Settings
from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import Step
from colibri.domain.ports import Journal
from colibri.errors import ConfigError
from colibri.services.check import CheckService

if TYPE_CHECKING:
    from colibri.services.audit import AuditService
    from colibri.services.bad_digests import BadDigestService
    from colibri.services.environments import EnvironmentService
    from colibri.services.notifications import NotificationService
    from colibri.services.scan import ScanService
    from colibri.services.schedules import ScheduleService
    from colibri.services.self_update import SelfUpdater
    from colibri.services.skips import SkipService
    from colibri.services.targets import TargetService
    from colibri.services.tokens import TokenService
    from colibri.services.update import UpdateService
    from colibri.update.model import UpdateOptions


@contextmanager
def checker(settings: Settings) -> Iterator[CheckService]:
    """A check service on the configured daemon and registries."""
    with ExitStack() as stack:
        yield check_service(settings, stack)


@contextmanager
def journal(settings: Settings) -> Iterator[Journal]:
    """The update journal in the configured database (migrated on open)."""
    with open_store(settings) as store:
        yield store.journal


@contextmanager
def updater(settings: Settings) -> Iterator[UpdateService]:
    """An update service: check, the update pipeline, recovery, journal."""
    from colibri.bootstrap.gate import make_gate
    from colibri.clock import SystemClock
    from colibri.engine.probe import NetworkProber
    from colibri.services.update import UpdateService
    from colibri.systemd import SystemdUnits
    from colibri.update.locks import KeyClaims, UpdateLocks
    from colibri.update.pipeline import UpdatePipeline
    from colibri.update.recovery import Recoverer
    from colibri.update.verify import Verifier

    with ExitStack() as stack:
        check = check_service(settings, stack)
        store = stack.enter_context(open_store(settings))
        store_journal = store.journal
        clock = SystemClock()
        engine = check.engine
        claims = KeyClaims()
        pipeline = UpdatePipeline(
            engine,
            store_journal,
            clock,
            environment=settings.environment,
            gate=make_gate(settings, check.registry, store.reports, clock),
            prober=NetworkProber(),
            registry_auth=registry_auth_for(settings),
            claims=claims,
            concurrency=settings.update_concurrency,
            hand_off=self_updater(settings),
            units=SystemdUnits(settings.systemd_bus),
        )
        recoverer = Recoverer(
            engine,
            store_journal,
            Verifier(engine, clock),
            environment=settings.environment,
            locks=UpdateLocks(store_journal, claims),
            units=SystemdUnits(settings.systemd_bus),
        )
        yield UpdateService(check, pipeline, recoverer)


@contextmanager
def notifications(settings: Settings) -> Iterator[NotificationService | None]:
    """What tells the URLs of ``COLIBRI_NOTIFY_URLS`` about a check or an update; ``None``
    when there are none. "Update available" is told once per container and digest, as the
    service does, through the notification log in the configured database."""
    if not settings.notify_urls:
        yield None
        return
    from colibri.clock import SystemClock
    from colibri.notify import AppriseNotifier
    from colibri.services.notifications import ConfiguredTargets, NotificationService

    with open_store(settings) as store:
        targets = ConfiguredTargets(settings.notify_urls)
        notifier = AppriseNotifier(allow_private=settings.notify_allow_private)
        yield NotificationService(notifier, targets, store.notification_log, SystemClock())


@dataclass(frozen=True)
class Admin:
    """What ``colibri schedule|env|notify|bad-digest`` manage, straight in the store."""

    schedules: ScheduleService
    environments: EnvironmentService
    targets: TargetService
    bad_digests: BadDigestService
    audit: AuditService


@contextmanager
def admin(settings: Settings) -> Iterator[Admin]:
    """The service's settings, environments, notification targets and bad digests in the
    configured database (migrated on open); every change goes to the audit trail as ``cli``."""
    from colibri.clock import SystemClock
    from colibri.notify import AppriseNotifier, validate_url
    from colibri.services.audit import AuditService
    from colibri.services.bad_digests import BadDigestService
    from colibri.services.environments import EnvironmentService
    from colibri.services.schedules import ScheduleService
    from colibri.services.targets import TargetService

    clock = SystemClock()
    allow_private = settings.notify_allow_private

    def validate(url: str) -> str:
        return validate_url(url, allow_private=allow_private)

    with open_store(settings) as store:
        yield Admin(
            schedules=ScheduleService(store.auto_updates, store.environments, clock),
            environments=EnvironmentService(store.environments, clock),
            targets=TargetService(
                store.notification_targets,
                AppriseNotifier(allow_private=allow_private),
                validate,
                clock,
            ),
            bad_digests=BadDigestService(store.bad_digests, store.journal, clock),
            audit=AuditService(store.audit),
        )


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
    from colibri.bootstrap.gate import configured_scanner, gate_policy
    from colibri.clock import SystemClock
    from colibri.services.scan import ScanService

    scanner = configured_scanner(settings)
    if scanner is None:
        raise ConfigError("colibri scan needs a scanner: set COLIBRI_SCANNER=trivy|grype|both")
    with ExitStack() as stack:
        check = check_service(settings, stack)
        store = stack.enter_context(open_store(settings))
        yield ScanService(
            check.engine,
            check.registry,
            scanner,
            SystemClock(),
            gate_policy(settings).criteria,
            store=store.reports,
            pull_missing=settings.scan_source == "docker",
            registry_auth=registry_auth_for(settings),
        )


@contextmanager
def token_service(settings: Settings) -> Iterator[TokenService]:
    """The API tokens in the configured database (``colibri token``)."""
    from colibri.clock import SystemClock
    from colibri.services.tokens import TokenService

    with open_store(settings) as store:
        yield TokenService(store.tokens, SystemClock())


@contextmanager
def skip_service(settings: Settings) -> Iterator[SkipService]:
    """Skips and snoozes in the configured database (``colibri skip``)."""
    from colibri.registry.clock import SystemClock
    from colibri.services.skips import SkipService

    with open_store(settings) as store:
        yield SkipService(store.skips, SystemClock())


def self_updater(settings: Settings) -> SelfUpdater | None:
    """Inside a container, what hands that container's own update to a helper."""
    from colibri.services.self_update import SelfUpdater, own_container_id

    own = own_container_id()
    if own is None:
        return None
    return SelfUpdater(own, registry_auth_for(settings))
