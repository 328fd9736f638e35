"""Where a probe dials: the service where it really is, or a reason at check time."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.domain.health import Probe
from colibri.domain.probing import ProbeTarget, probe_problem, probe_target, remote_host
from colibri.errors import ConfigError

HTTP = Probe("http", 8080, "/healthz")


def container(
    mode: str, *, ip: str = "172.17.0.5", ports: dict[str, Any] | None = None
) -> dict[str, Any]:
    networks = (
        {}
        if mode in {"host", "none"} or mode.startswith("container:")
        else {"bridge": {"IPAddress": ip}}
    )
    return {
        "HostConfig": {"NetworkMode": mode},
        "NetworkSettings": {"Networks": networks, "Ports": ports or {}},
    }


def test_a_bridge_container_of_a_local_daemon_is_dialled_at_its_address() -> None:
    assert probe_target(container("bridge"), HTTP) == ProbeTarget(
        "172.17.0.5", 8080, "container address 172.17.0.5"
    )


def test_a_host_network_container_is_dialled_on_loopback_or_the_daemons_host() -> None:
    assert probe_target(container("host"), HTTP).host == "127.0.0.1"
    assert probe_target(container("host"), HTTP, remote="docker2.lan").host == "docker2.lan"


def test_a_shared_namespace_is_dialled_where_its_owner_is() -> None:
    owner = container("frontnet", ip="10.1.0.7")
    assert probe_target(container("container:abc"), HTTP, owner=owner).host == "10.1.0.7"
    assert (
        probe_target(container("container:abc"), HTTP, owner=container("host")).host == "127.0.0.1"
    )
    with pytest.raises(ConfigError, match="gone"):
        probe_target(container("container:abc"), HTTP)
    with pytest.raises(ConfigError, match="twice"):
        probe_target(container("container:abc"), HTTP, owner=container("container:def"))


def test_a_remote_daemons_container_is_dialled_on_its_published_port() -> None:
    published = container(
        "bridge", ports={"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}]}
    )
    assert probe_target(published, HTTP, remote="docker2.lan") == ProbeTarget(
        "docker2.lan", 18080, "port 8080 published as docker2.lan:18080"
    )
    on_lan = container("bridge", ports={"8080/tcp": [{"HostIp": "192.168.1.9", "HostPort": "80"}]})
    assert probe_target(on_lan, HTTP, remote="docker2.lan").host == "192.168.1.9"


def test_a_remote_container_that_cannot_be_reached_is_refused_with_why() -> None:
    with pytest.raises(ConfigError, match="not published"):
        probe_target(container("bridge"), HTTP, remote="docker2.lan")
    loopback = container(
        "bridge", ports={"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}
    )
    with pytest.raises(ConfigError, match="loopback only"):
        probe_target(loopback, HTTP, remote="docker2.lan")
    with pytest.raises(ConfigError, match="network_mode none"):
        probe_target(container("none"), HTTP)


@pytest.mark.parametrize(
    ("engine_host", "remote"),
    [
        ("unix:///var/run/docker.sock", None),
        ("", None),
        ("tcp://docker2.lan:2376", "docker2.lan"),
        ("ssh://ops@docker2.lan", "docker2.lan"),
        ("tcp://127.0.0.1:2375", None),
    ],
)
def test_remote_host(engine_host: str, remote: str | None) -> None:
    assert remote_host(engine_host) == remote


def test_probe_problems_known_at_check_time() -> None:
    assert probe_problem({}, "none") is None
    assert probe_problem({"colibri.probe": "tcp://:5432"}, "host") is None
    assert "network_mode none" in (probe_problem({"colibri.probe": "tcp://:5432"}, "none") or "")
    assert "expected tcp://:PORT" in (probe_problem({"colibri.probe": "ftp://:21"}, "bridge") or "")
