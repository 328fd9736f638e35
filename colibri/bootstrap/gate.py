"""The update gate from the settings: criteria, scanner(s), signature verifier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from colibri.config import Settings
from colibri.domain.criteria import Criteria, IgnoreRule
from colibri.domain.gate_policy import GateOverrides, GatePolicy, parse_ignore_rules
from colibri.domain.ports import (
    Clock,
    Gate,
    Registry,
    Scanner,
    ScanStore,
    SignatureVerifier,
)
from colibri.domain.refs import parse_reference
from colibri.errors import ConfigError

if TYPE_CHECKING:
    pass


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


def make_gate(settings: Settings, registry: Registry, store: ScanStore, clock: Clock) -> Gate:
    """Always the scan gate, even with nothing required globally: a container's labels may
    require a scan or a signature, and must then be honoured (or block), never ignored."""
    from colibri.services.gate import ScanGate

    policy = gate_policy(settings)
    scanner = configured_scanner(settings)
    if policy.criteria.scans and scanner is None:
        raise ConfigError(f"COLIBRI_CRITERIA={policy.criteria.level} needs COLIBRI_SCANNER")
    verifier = signature_verifier(settings, registry)
    if policy.require_signature and verifier is None:
        raise ConfigError("COLIBRI_REQUIRE_SIGNATURE=true needs COLIBRI_COSIGN_KEY")
    return ScanGate(policy, clock, scanner=scanner, store=store, verifier=verifier)


def configured_scanner(settings: Settings) -> Scanner | None:
    if settings.scanner == "none":
        return None
    from colibri.scan import ImageSource, ScanOptions, make_scanner

    options = ScanOptions(
        trivy_path=settings.trivy_path,
        grype_path=settings.grype_path,
        timeout=settings.scan_timeout,
        source=ImageSource(settings.scan_source),
        trivy_server=settings.trivy_server,
    )
    return make_scanner(settings.scanner, options)


def signature_verifier(settings: Settings, registry: Registry) -> SignatureVerifier | None:
    if settings.cosign_key is None:
        return None
    from colibri.scan.cosign import CosignVerifier, load_public_keys

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


class _GateFactory:
    """One ``ScanGate`` per setting: the global policy with the setting's choices on top."""

    def __init__(self, policy: GatePolicy, clock: Clock, **ports: Any) -> None:
        self.policy = policy
        self.clock = clock
        self.ports = ports

    def gate_for(self, overrides: GateOverrides) -> Gate:
        from colibri.services.gate import ScanGate

        return ScanGate(overrides.apply(self.policy), self.clock, **self.ports)


def gate_factory(
    settings: Settings, registry: Registry, store: ScanStore, clock: Clock
) -> _GateFactory:
    """Refuses, at start, global settings that cannot work (as ``colibri update`` does); a
    setting asking for a scan without a scanner is blocked by its gate instead."""
    make_gate(settings, registry, store, clock)
    return _GateFactory(
        gate_policy(settings),
        clock,
        scanner=configured_scanner(settings),
        store=store,
        verifier=signature_verifier(settings, registry),
    )
