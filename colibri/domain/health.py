"""Is a freshly started container working? Pure assessment of its ``docker inspect`` state.

With a HEALTHCHECK (from the image or the container) the container must report ``healthy``
before ``health_timeout``; ``unhealthy`` fails at once. Without one it must stay running, not
restarting, not OOM-killed and with an unchanged restart count for ``stability_window``. Either
way, exiting fails at once. An optional probe (``tcp://:PORT`` or ``http://:PORT/path``) must
answer after that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from colibri.errors import ConfigError

__all__ = [
    "Assessment",
    "Probe",
    "VerifyPolicy",
    "assess",
    "has_healthcheck",
    "parse_duration",
    "parse_probe",
]

PROBE_LABEL = "colibri.probe"
TIMEOUT_LABEL = "colibri.health-timeout"
WINDOW_LABEL = "colibri.stability-window"
_DURATION = re.compile(r"(?P<value>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_PROBE = re.compile(r"(?P<scheme>tcp|http)://:(?P<port>\d{1,5})(?P<path>/\S*)?")


class Assessment(StrEnum):
    PENDING = "pending"
    HEALTHY = "healthy"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Probe:
    """A check from outside the container: a TCP connect or an HTTP GET answering < 400."""

    scheme: str
    port: int
    path: str = "/"

    def __str__(self) -> str:
        return f"{self.scheme}://:{self.port}{self.path if self.scheme == 'http' else ''}"


@dataclass(frozen=True, slots=True)
class VerifyPolicy:
    """How long to wait and what to require. Durations in seconds."""

    health_timeout: float = 120.0
    stability_window: float = 10.0
    probe: Probe | None = None
    probe_timeout: float = 30.0

    def with_labels(self, labels: Mapping[str, str]) -> VerifyPolicy:
        """Per-container overrides from ``colibri.health-timeout``, ``colibri.stability-window``
        and ``colibri.probe``. Raises ``ConfigError`` naming a label it cannot read."""
        timeout, window, probe = self.health_timeout, self.stability_window, self.probe
        if TIMEOUT_LABEL in labels:
            timeout = parse_duration(labels[TIMEOUT_LABEL], TIMEOUT_LABEL)
        if WINDOW_LABEL in labels:
            window = parse_duration(labels[WINDOW_LABEL], WINDOW_LABEL)
        if PROBE_LABEL in labels:
            probe = parse_probe(labels[PROBE_LABEL])
        return VerifyPolicy(timeout, window, probe, self.probe_timeout)


def parse_duration(text: str, name: str) -> float:
    """``90``, ``90s``, ``1.5m``, ``500ms``, ``2h`` -> seconds."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ConfigError(f"{name}={text!r}: expected a duration such as 30s, 2m or 500ms")
    return float(match["value"]) * _UNIT_SECONDS[match["unit"]]


def parse_probe(text: str) -> Probe:
    """``tcp://:5432`` or ``http://:8080/healthz``."""
    match = _PROBE.fullmatch(text.strip())
    if not match or not 0 < int(match["port"]) < 65536:
        raise ConfigError(f"{PROBE_LABEL}={text!r}: expected tcp://:PORT or http://:PORT/path")
    return Probe(match["scheme"], int(match["port"]), match["path"] or "/")


def has_healthcheck(inspect: Mapping[str, Any]) -> bool:
    """True when the daemon runs a health check for this container."""
    state = inspect.get("State") or {}
    if state.get("Health"):
        return True
    test = ((inspect.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
    return bool(test) and test[0] != "NONE"


def assess(
    inspect: Mapping[str, Any],
    policy: VerifyPolicy,
    elapsed: float,
    restart_count_at_start: int,
) -> tuple[Assessment, str]:
    """Where the container stands ``elapsed`` seconds after it was started."""
    state = inspect.get("State") or {}
    failure = _failure(state, restart_count_at_start)
    if failure:
        return Assessment.FAILED, failure
    if has_healthcheck(inspect):
        return _by_health(state, policy, elapsed)
    if elapsed >= policy.stability_window:
        return Assessment.HEALTHY, f"running for {policy.stability_window:g}s"
    return Assessment.PENDING, "waiting for the stability window"


def _failure(state: Mapping[str, Any], restart_count_at_start: int) -> str:
    if state.get("OOMKilled"):
        return "killed by the kernel (out of memory)"
    if state.get("Restarting"):
        return f"restarting (exit code {state.get('ExitCode')})"
    if int(state.get("RestartCount") or 0) > restart_count_at_start:
        return f"restarted {state.get('RestartCount')} times (exit code {state.get('ExitCode')})"
    if not state.get("Running"):
        detail = state.get("Error") or f"exit code {state.get('ExitCode')}"
        return f"not running ({state.get('Status')}: {detail})"
    return ""


def _by_health(
    state: Mapping[str, Any], policy: VerifyPolicy, elapsed: float
) -> tuple[Assessment, str]:
    health = state.get("Health") or {}
    status = health.get("Status")
    if status == "healthy":
        return Assessment.HEALTHY, "health check passed"
    if status == "unhealthy":
        return Assessment.FAILED, f"unhealthy: {_last_output(health)}"
    if elapsed >= policy.health_timeout:
        return Assessment.FAILED, f"not healthy after {policy.health_timeout:g}s"
    return Assessment.PENDING, "waiting for the health check"


def _last_output(health: Mapping[str, Any]) -> str:
    log = health.get("Log") or []
    if not log:
        return "no health check output"
    last = log[-1]
    return f"exit code {last.get('ExitCode')}: {str(last.get('Output') or '').strip()[:200]}"
