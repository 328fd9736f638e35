"""Watch a freshly started container until it is verified or has failed.

The decision at each moment is :func:`colibri.domain.health.assess`; this module only polls
the daemon, keeps the update lock alive while it waits, and runs the optional probe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from colibri.domain.health import Assessment, Probe, VerifyPolicy, assess
from colibri.domain.ports import Clock, Engine, Prober
from colibri.domain.probing import ProbeTarget, probe_target, remote_host
from colibri.errors import ConfigError, EngineNotFound, UpdateError

__all__ = ["Verifier"]

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
ROLLBACK_WINDOW_SECONDS = 1.0


class Verifier:
    def __init__(self, engine: Engine, clock: Clock, prober: Prober | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.prober = prober

    def verify(
        self,
        container_id: str,
        policy: VerifyPolicy | None,
        keepalive: Callable[[], None] = lambda: None,
    ) -> str:
        """Return how it was verified, or raise ``UpdateError`` saying why it failed.
        ``policy`` None means nothing to watch (the container is not meant to run)."""
        if policy is None:
            return "not started (the old container was not running)"
        verdict = self._watch(container_id, policy, keepalive)
        if policy.probe is not None:
            self._probe(container_id, policy)
            verdict += f"; probe {policy.probe} answered"
        log.info("verified %s: %s", container_id[:12], verdict)
        return verdict

    def verify_running(self, container_id: str) -> None:
        """After a rollback: the old container must be running and stay up a moment."""
        self._watch(
            container_id,
            VerifyPolicy(
                stability_window=ROLLBACK_WINDOW_SECONDS, health_timeout=ROLLBACK_WINDOW_SECONDS
            ),
            lambda: None,
            health_optional=True,
        )

    def _watch(
        self,
        container_id: str,
        policy: VerifyPolicy,
        keepalive: Callable[[], None],
        health_optional: bool = False,
    ) -> str:
        start = self.clock.monotonic()
        first = self._inspect(container_id)
        baseline = int((first.get("State") or {}).get("RestartCount") or 0)
        while True:
            elapsed = self.clock.monotonic() - start
            state = self._inspect(container_id)
            if health_optional:
                state = _without_health(state)
            verdict, why = assess(state, policy, elapsed, baseline)
            if verdict is Assessment.HEALTHY:
                return why
            if verdict is Assessment.FAILED:
                raise UpdateError(f"verification failed: {why}", step="verify")
            keepalive()
            self.clock.sleep(POLL_SECONDS)

    def _probe(self, container_id: str, policy: VerifyPolicy) -> None:
        assert policy.probe is not None
        if self.prober is None:
            raise UpdateError("a probe is configured but no prober is available", step="verify")
        target = self._target(self._inspect(container_id), policy.probe, "verify")
        dialed = replace(policy.probe, port=target.port)
        problem = self.prober.probe(target.host, dialed, policy.probe_timeout)
        if problem:
            raise UpdateError(
                f"probe {policy.probe} failed ({target.why}): {problem}", step="verify"
            )

    def check_probe(self, inspect: Mapping[str, Any], policy: VerifyPolicy | None) -> None:
        """Before anything changes: ``UpdateError`` when the probe cannot reach the service
        of the container ``inspect`` describes (the new one will sit where it sits)."""
        if policy is not None and policy.probe is not None:
            self._target(inspect, policy.probe, "create")

    def _target(self, inspect: Mapping[str, Any], probe: Probe, step: str) -> ProbeTarget:
        engine_host = str(getattr(self.engine, "host", "") or "")
        try:
            return probe_target(
                inspect, probe, remote=remote_host(engine_host), owner=self._owner(inspect)
            )
        except ConfigError as exc:
            raise UpdateError(str(exc), step=step) from None

    def _owner(self, inspect: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The container whose network namespace this one shares, if it still exists."""
        mode = str((inspect.get("HostConfig") or {}).get("NetworkMode") or "")
        if not mode.startswith("container:"):
            return None
        try:
            return self._inspect(mode.removeprefix("container:"))
        except EngineNotFound:
            return None

    def _inspect(self, container_id: str) -> Mapping[str, Any]:
        return self.engine.inspect_container(container_id)


def _without_health(inspect: Mapping[str, Any]) -> Mapping[str, Any]:
    state = dict(inspect.get("State") or {})
    state.pop("Health", None)
    config = dict(inspect.get("Config") or {})
    config.pop("Healthcheck", None)
    return {**inspect, "State": state, "Config": config}
