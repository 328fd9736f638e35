"""Verification decisions from a container's state."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.domain.health import Assessment, VerifyPolicy, assess, parse_duration, parse_probe
from colibri.errors import ConfigError

POLICY = VerifyPolicy(health_timeout=30, stability_window=5)


def state(**fields: Any) -> dict[str, Any]:
    base = {
        "Running": True,
        "Restarting": False,
        "OOMKilled": False,
        "RestartCount": 0,
        "Status": "running",
        "ExitCode": 0,
    }
    return {"State": {**base, **fields}, "Config": {}}


def test_running_through_the_window_is_healthy_and_not_before() -> None:
    assert assess(state(), POLICY, 4.9, 0)[0] is Assessment.PENDING
    assert assess(state(), POLICY, 5.0, 0)[0] is Assessment.HEALTHY


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"Running": False, "Status": "exited", "ExitCode": 1}, "exit code 1"),
        ({"Restarting": True, "ExitCode": 3}, "restarting"),
        ({"RestartCount": 2}, "restarted 2 times"),
        ({"OOMKilled": True}, "out of memory"),
    ],
)
def test_failures_are_reported_at_once(fields: dict[str, Any], why: str) -> None:
    verdict, reason = assess(state(**fields), POLICY, 0.5, 0)
    assert verdict is Assessment.FAILED and why in reason


def test_a_health_check_decides_when_there_is_one() -> None:
    starting = state(Health={"Status": "starting"})
    assert assess(starting, POLICY, 10, 0)[0] is Assessment.PENDING
    assert assess(starting, POLICY, 30, 0)[0] is Assessment.FAILED
    assert assess(state(Health={"Status": "healthy"}), POLICY, 0.1, 0)[0] is Assessment.HEALTHY
    unhealthy = state(Health={"Status": "unhealthy", "Log": [{"ExitCode": 1, "Output": "boom"}]})
    assert assess(unhealthy, POLICY, 1, 0) == (Assessment.FAILED, "unhealthy: exit code 1: boom")


def test_labels_override_the_policy_and_bad_labels_name_themselves() -> None:
    policy = POLICY.with_labels(
        {"colibri.health-timeout": "2m", "colibri.probe": "http://:8080/hz"}
    )
    assert policy.health_timeout == 120 and str(policy.probe) == "http://:8080/hz"
    with pytest.raises(ConfigError, match=r"colibri\.stability-window"):
        POLICY.with_labels({"colibri.stability-window": "soon"})
    with pytest.raises(ConfigError, match=r"colibri\.probe"):
        parse_probe("udp://:53")
    assert parse_duration("500ms", "x") == 0.5
