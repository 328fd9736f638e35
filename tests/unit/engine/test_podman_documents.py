"""Podman's documents turned into what the rest of Colibri expects (pure functions)."""

from __future__ import annotations

from typing import Any

from colibri.engine.podman import (
    _with_addresses,
    _without_empty_health,
    is_podman,
    podman_create_body,
)


def test_podman_is_recognised_by_its_version_document() -> None:
    assert is_podman({"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]})
    assert not is_podman({"Components": [{"Name": "Engine", "Version": "20.10.24"}]})
    assert not is_podman({})


def test_the_create_body_drops_what_podman_derived_or_refuses() -> None:
    body: dict[str, Any] = {
        "Env": ["A=1", "container=podman", "HOSTNAME=0123456789ab", "TERM=xterm"],
        "HostConfig": {
            "NanoCpus": 500000000,
            "CpuPeriod": 100000,
            "CpuQuota": 50000,
            "Ulimits": [{"Name": "RLIMIT_NOFILE", "Soft": 1024, "Hard": 2048}],
            "Devices": [
                {"PathOnHost": "/dev/null", "PathInContainer": "/dev/x", "CgroupPermissions": ""}
            ],
        },
    }
    fixed = podman_create_body(body)
    assert fixed["Env"] == ["A=1", "TERM=xterm"]
    assert "CpuPeriod" not in fixed["HostConfig"] and "CpuQuota" not in fixed["HostConfig"]
    assert fixed["HostConfig"]["NanoCpus"] == 500000000
    assert fixed["HostConfig"]["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]
    assert fixed["HostConfig"]["Devices"][0]["CgroupPermissions"] == "rwm"
    assert body["HostConfig"]["CpuPeriod"] == 100000  # the input is left alone


def test_a_period_and_quota_without_nano_cpus_are_kept() -> None:
    fixed = podman_create_body({"HostConfig": {"CpuPeriod": 100000, "CpuQuota": 20000}})
    assert fixed["HostConfig"] == {"CpuPeriod": 100000, "CpuQuota": 20000}


def test_every_current_address_is_reported_as_asked_for() -> None:
    raw = {
        "Id": "c",
        "NetworkSettings": {
            "Networks": {
                "front": {"IPAMConfig": None, "IPAddress": "10.1.1.10", "MacAddress": "02:42"},
                "back": {"IPAMConfig": {"IPv4Address": "10.1.2.9"}, "IPAddress": "10.1.2.9"},
                "none": {"IPAMConfig": None, "IPAddress": ""},
            }
        },
    }
    networks = _with_addresses(raw)["NetworkSettings"]["Networks"]
    assert networks["front"]["IPAMConfig"] == {"IPv4Address": "10.1.1.10"}
    assert networks["back"]["IPAMConfig"] == {"IPv4Address": "10.1.2.9"}
    assert networks["none"]["IPAMConfig"] is None


def test_an_empty_health_state_without_a_check_is_left_out() -> None:
    raw = {"State": {"Status": "running", "Health": {"Status": ""}}, "Config": {}}
    assert "Health" not in _without_empty_health(raw)["State"]
    checked = {
        "State": {"Health": {"Status": "starting"}},
        "Config": {"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 10**9}},
    }
    assert _without_empty_health(checked) == checked
