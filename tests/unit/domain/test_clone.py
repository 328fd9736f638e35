"""The create body for the new container: user settings kept, old image defaults dropped."""

from __future__ import annotations

from typing import Any

import pytest

from colibri.domain.clone import (
    clone_config,
    created_image_problem,
    recorded_reference,
    user_macs,
)

CID = "6cf49110c55c" + "0" * 52
OLD_IMAGE: dict[str, Any] = {
    "Env": ["PATH=/usr/bin:/bin", "APP_MODE=prod"],
    "Cmd": ["serve"],
    "Entrypoint": ["/entry"],
    "Labels": {"org.opencontainers.image.version": "1.0", "vendor": "acme"},
    "ExposedPorts": {"80/tcp": {}},
    "Volumes": {"/data": {}},
    "WorkingDir": "/srv",
    "User": "app",
    "StopSignal": "SIGQUIT",
    "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000},
}


def inspect(**config: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Hostname": CID[:12],
        "Env": ["PATH=/usr/bin:/bin", "APP_MODE=prod"],
        "Cmd": ["serve"],
        "Entrypoint": ["/entry"],
        "Labels": {"org.opencontainers.image.version": "1.0", "vendor": "acme"},
        "ExposedPorts": {"80/tcp": {}},
        "Volumes": {"/data": {}},
        "WorkingDir": "/srv",
        "User": "app",
        "StopSignal": "SIGQUIT",
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000},
        "Image": "app:1",
        "OnBuild": None,
    }
    base.update(config)
    return {
        "Id": CID,
        "Config": base,
        "HostConfig": {
            "NetworkMode": "bridge",
            "Binds": ["/srv/conf:/conf:ro"],
            "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]},
            "MaskedPaths": ["/proc/kcore"],
            "ReadonlyPaths": ["/proc/sys"],
            "Links": ["/db:/web/database"],
        },
        "NetworkSettings": {
            "Networks": {
                "bridge": {"Aliases": None, "IPAMConfig": None, "MacAddress": "02:42:ac:11:00:02"}
            }
        },
        "Mounts": [
            {"Type": "volume", "Name": "a" * 64, "Destination": "/data", "RW": True},
            {"Type": "bind", "Source": "/srv/conf", "Destination": "/conf", "RW": False},
        ],
    }


def body_of(container: dict[str, Any]) -> dict[str, Any]:
    return clone_config(container, OLD_IMAGE, {}, image="app:1@sha256:" + "b" * 64).body


def test_image_defaults_are_left_to_the_new_image() -> None:
    body = body_of(inspect())
    for key in ("Cmd", "Entrypoint", "WorkingDir", "User", "StopSignal", "Healthcheck"):
        assert key not in body, key
    assert body["Env"] == []
    assert body["Labels"] == {}
    assert body["Volumes"] == {}
    assert body["Image"] == "app:1@sha256:" + "b" * 64


def test_user_settings_are_kept() -> None:
    body = body_of(
        inspect(
            Env=["PATH=/usr/bin:/bin", "APP_MODE=dev", "TOKEN=x"],
            Labels={"vendor": "acme", "org.opencontainers.image.version": "1.0", "team": "ops"},
            User="1000:1000",
            WorkingDir="/work",
            StopSignal="SIGTERM",
            Healthcheck={"Test": ["CMD", "false"]},
            Hostname="web",
        )
    )
    assert body["Env"] == ["APP_MODE=dev", "TOKEN=x"]
    assert body["Labels"] == {"team": "ops"}
    assert (body["User"], body["WorkingDir"], body["StopSignal"]) == (
        "1000:1000",
        "/work",
        "SIGTERM",
    )
    assert body["Healthcheck"] == {"Test": ["CMD", "false"]}
    assert body["Hostname"] == "web"


def test_an_overridden_entrypoint_keeps_the_command_even_if_it_equals_the_image_command() -> None:
    body = body_of(inspect(Entrypoint=["/bin/sh", "-c"], Cmd=["serve"]))
    assert body["Entrypoint"] == ["/bin/sh", "-c"]
    assert body["Cmd"] == ["serve"]


def test_a_changed_command_is_kept_with_the_image_entrypoint_left_out() -> None:
    body = body_of(inspect(Cmd=["serve", "--debug"]))
    assert body["Cmd"] == ["serve", "--debug"]
    assert "Entrypoint" not in body


def test_the_generated_hostname_is_not_copied() -> None:
    assert "Hostname" not in body_of(inspect())


def test_host_config_is_kept_but_daemon_defaults_and_inspect_forms_are_fixed() -> None:
    host = body_of(inspect())["HostConfig"]
    assert "MaskedPaths" not in host and "ReadonlyPaths" not in host
    assert host["Links"] == ["db:database"]
    assert host["PortBindings"] == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}


def test_anonymous_volumes_are_reattached_by_name() -> None:
    plan = clone_config(inspect(), OLD_IMAGE, {}, image="app:1")
    assert plan.anonymous_volumes == ("a" * 64,)
    assert plan.body["HostConfig"]["Binds"] == ["/srv/conf:/conf:ro"]
    assert plan.body["HostConfig"]["Mounts"] == [
        {"Type": "volume", "Source": "a" * 64, "Target": "/data", "ReadOnly": False}
    ]


def test_published_ports_stay_exposed() -> None:
    assert "8080/tcp" in body_of(inspect())["ExposedPorts"]


def test_networks_primary_in_body_others_connected_later_without_generated_alias() -> None:
    container = inspect()
    container["HostConfig"]["NetworkMode"] = "front"
    container["NetworkSettings"]["Networks"] = {
        "front": {
            "Aliases": ["web", CID[:12]],
            "IPAMConfig": {"IPv4Address": "10.5.0.9"},
            "MacAddress": "02:42:0a:05:00:09",
        },
        "back": {"Aliases": [CID[:12], "api"], "IPAMConfig": None, "Links": None},
    }
    plan = clone_config(container, OLD_IMAGE, {}, image="app:1")
    assert plan.body["NetworkingConfig"] == {
        "EndpointsConfig": {
            "front": {"IPAMConfig": {"IPv4Address": "10.5.0.9"}, "Aliases": ["web"]}
        }
    }
    assert plan.networks == {"back": {"Aliases": ["api"]}}


def test_a_shared_network_namespace_has_no_endpoints_hostname_or_ports() -> None:
    container = inspect(Hostname="other", MacAddress="02:00:00:00:00:01")
    container["HostConfig"]["NetworkMode"] = "container:" + "f" * 64
    plan = clone_config(container, OLD_IMAGE, {}, image="app:1")
    assert plan.body["NetworkingConfig"] == {"EndpointsConfig": {}}
    for key in ("Hostname", "MacAddress", "ExposedPorts"):
        assert key not in plan.body
    assert plan.body["HostConfig"]["NetworkMode"] == "container:" + "f" * 64


def test_the_input_is_not_modified() -> None:
    container = inspect()
    before = repr(container)
    clone_config(container, OLD_IMAGE, {}, image="app:1")
    assert repr(container) == before


def _on_networks(networks: dict[str, dict[str, Any]], mode: str, **config: Any) -> dict[str, Any]:
    container = inspect(**config)
    container["HostConfig"]["NetworkMode"] = mode
    container["NetworkSettings"]["Networks"] = networks
    return container


def test_a_container_wide_mac_is_the_primary_networks_on_api_before_1_44() -> None:
    # docker run --mac-address on Docker 20.10: Config.MacAddress, and the live endpoint's MAC
    container = _on_networks(
        {
            "bridge": {"MacAddress": "02:11:22:33:44:55", "IPAddress": "172.17.0.4"},
            "back": {"MacAddress": "02:42:ac:12:00:02", "IPAddress": "172.18.0.2"},
        },
        "default",
        MacAddress="02:11:22:33:44:55",
    )
    plan = clone_config(container, OLD_IMAGE, {}, image="app:1")
    assert plan.body["MacAddress"] == "02:11:22:33:44:55"
    assert plan.body["NetworkingConfig"]["EndpointsConfig"]["bridge"]["MacAddress"] == (
        "02:11:22:33:44:55"
    )
    assert "MacAddress" not in plan.networks["back"]  # derived from 172.18.0.2: the engine's


def test_a_stopped_container_keeps_its_container_wide_mac() -> None:
    container = _on_networks(
        {"bridge": {"MacAddress": "", "IPAddress": ""}}, "default", MacAddress="02:11:22:33:44:55"
    )
    assert user_macs(container) == {"bridge": "02:11:22:33:44:55"}


def test_per_network_macs_on_api_1_44_are_kept_network_by_network() -> None:
    # API >= 1.44: no container-wide field; each endpoint reports its MAC
    container = _on_networks(
        {
            "front": {"MacAddress": "02:aa:00:00:00:01", "IPAddress": "10.5.0.9"},
            "back": {"MacAddress": "02:42:0a:06:00:03", "IPAddress": "10.6.0.3"},
            "lan": {"MacAddress": "0A:BB:00:00:00:02", "IPAddress": "192.168.1.50"},
        },
        "front",
    )
    assert user_macs(container) == {"front": "02:aa:00:00:00:01", "lan": "0a:bb:00:00:00:02"}
    plan = clone_config(container, OLD_IMAGE, {}, image="app:1")
    assert plan.body["NetworkingConfig"]["EndpointsConfig"]["front"]["MacAddress"] == (
        "02:aa:00:00:00:01"
    )
    assert plan.body["MacAddress"] == "02:aa:00:00:00:01"
    assert plan.networks["lan"]["MacAddress"] == "0a:bb:00:00:00:02"
    assert "MacAddress" not in plan.networks["back"]


def test_a_derived_mac_is_never_kept_even_when_reported_by_a_static_address() -> None:
    container = _on_networks(
        {"front": {"MacAddress": "02:42:0a:05:00:09", "IPAMConfig": {"IPv4Address": "10.5.0.9"}}},
        "front",
    )
    assert user_macs(container) == {}
    assert "MacAddress" not in clone_config(container, OLD_IMAGE, {}, image="app:1").body


def test_a_stopped_containers_configured_endpoint_mac_is_the_users() -> None:
    # a daemon clears assigned MACs at stop and keeps configured ones
    container = _on_networks(
        {"front": {"MacAddress": "02:aa:00:00:00:01", "IPAddress": ""}}, "front"
    )
    assert user_macs(container) == {"front": "02:aa:00:00:00:01"}


def test_no_mac_with_host_network() -> None:
    container = _on_networks({"host": {"MacAddress": ""}}, "host", MacAddress="02:11:22:33:44:55")
    assert user_macs(container) == {}
    assert "MacAddress" not in clone_config(container, OLD_IMAGE, {}, image="app:1").body


def test_uts_host_drops_the_hostname_the_daemon_would_refuse() -> None:
    container = inspect(Hostname="buildhost", Domainname="example.org")
    container["HostConfig"]["UTSMode"] = "host"
    body = clone_config(container, OLD_IMAGE, {}, image="app:1").body
    assert "Hostname" not in body
    assert body["HostConfig"]["UTSMode"] == "host"


@pytest.mark.parametrize(
    ("written", "tag", "digest", "recorded"),
    [
        ("nginx:1.27", "1.27", "sha256:" + "b" * 64, "nginx:1.27"),
        ("nginx:1.27", "1.28", "sha256:" + "b" * 64, "nginx:1.28"),
        ("docker.io/library/nginx:1.27", "1.28", None, "docker.io/library/nginx:1.28"),
        ("localhost:5000/app", "latest", "sha256:" + "b" * 64, "localhost:5000/app"),
        ("localhost:5000/app:v1", "v1", None, "localhost:5000/app:v1"),
        ("app:1@sha256:" + "a" * 64, "1", "sha256:" + "b" * 64, "app:1@sha256:" + "b" * 64),
        ("app:1@sha256:" + "a" * 64, "2", "sha256:" + "b" * 64, "app:2@sha256:" + "b" * 64),
    ],
)
def test_the_recorded_reference_is_the_users(
    written: str, tag: str, digest: str | None, recorded: str
) -> None:
    assert recorded_reference(written, tag, digest) == recorded


def test_the_created_container_must_run_the_checked_image() -> None:
    checked = "sha256:" + "c" * 64
    assert created_image_problem({"Image": checked, "Config": {"Image": "app:1"}}, checked) is None
    problem = created_image_problem(
        {"Image": "sha256:" + "d" * 64, "Config": {"Image": "app:1"}}, checked
    )
    assert problem is not None and checked in problem and "'app:1'" in problem
    assert created_image_problem({}, checked) is not None
