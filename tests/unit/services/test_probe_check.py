"""Before anything changes, an update refuses a probe that cannot reach the service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from colibri.domain.health import Probe, VerifyPolicy
from colibri.errors import EngineNotFound, UpdateError
from colibri.update.verify import Verifier

BRIDGE: dict[str, Any] = {
    "HostConfig": {"NetworkMode": "bridge"},
    "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "172.17.0.9"}}, "Ports": {}},
}


class Daemon:
    """As much of an engine as the check needs: where it is, and no other container."""

    def __init__(self, host: str) -> None:
        self.host = host

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        raise EngineNotFound(f"no such container: {name_or_id}")


def verifier(host: str) -> Verifier:
    return Verifier(Daemon(host), clock=None)  # type: ignore[arg-type]


def test_a_remote_daemons_unpublished_port_is_refused_before_the_create() -> None:
    with pytest.raises(UpdateError, match="not published") as caught:
        verifier("tcp://db-host:2376").check_probe(BRIDGE, VerifyPolicy(probe=Probe("tcp", 5432)))
    assert caught.value.step == "create"


def test_a_local_daemons_container_and_a_policy_without_probe_pass() -> None:
    verifier("unix:///var/run/docker.sock").check_probe(BRIDGE, VerifyPolicy(probe=Probe("tcp", 1)))
    verifier("tcp://db-host:2376").check_probe(BRIDGE, VerifyPolicy())
    verifier("tcp://db-host:2376").check_probe(BRIDGE, None)


def test_a_shared_namespace_whose_owner_is_gone_is_refused() -> None:
    shared = {"HostConfig": {"NetworkMode": "container:abc"}, "NetworkSettings": {}}
    with pytest.raises(UpdateError, match="gone"):
        verifier("").check_probe(shared, VerifyPolicy(probe=Probe("tcp", 1)))
