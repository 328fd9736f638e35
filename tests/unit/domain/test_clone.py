"""The create body for the new container: user settings kept, old image defaults dropped."""

from __future__ import annotations

from typing import Any

from colibri.domain.clone import clone_config

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
    base = {
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
