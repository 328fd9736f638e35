"""What the one-shot commands need: check, update, recover, history, scan, token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from colibri.bootstrap.clients import check_service, open_store, registry_auth_for
from colibri.config import Settings
from colibri.domain.health import VerifyPolicy
from colibri.domain.journal import Step
from colibri.domain.ports import Journal
from colibri.errors import ConfigError
from colibri.services.check import CheckService

if TYPE_CHECKING:
    from colibri.services.scan import ScanService
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
        )
        recoverer = Recoverer(
            engine,
            store_journal,
            Verifier(engine, clock),
            environment=settings.environment,
            locks=UpdateLocks(store_journal, claims),
        )
        yield UpdateService(check, pipeline, recoverer)


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
