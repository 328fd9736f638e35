"""Which container is Colibri's own, whether it may update itself, and its helper's body."""

from __future__ import annotations

from typing import Any

from colibri.domain.self_update import (
    HELPER_LABEL,
    container_id_from_mountinfo,
    helper_body,
    helper_name,
    self_update_wanted,
)

OWN = "c063514b3604c515bc26fe3618133f80c99c59106e2c4250d0e271726a169eed"
DOCKER_MOUNTINFO = f"""\
390 370 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X
408 390 254:0 /var/lib/docker/containers/{OWN}/resolv.conf /etc/resolv.conf rw - ext4 /dev/vda rw
409 390 254:0 /var/lib/docker/containers/{OWN}/hostname /etc/hostname rw - ext4 /dev/vda rw
"""
PODMAN_MOUNTINFO = (
    "501 480 0:44 /containers/storage/overlay-containers/"
    f"{OWN}/userdata/hosts /etc/hosts rw - tmpfs tmpfs rw\n"
)


def test_the_own_container_is_read_from_dockers_and_podmans_mounts() -> None:
    assert container_id_from_mountinfo(DOCKER_MOUNTINFO) == OWN
    assert container_id_from_mountinfo(PODMAN_MOUNTINFO) == OWN


def test_outside_a_container_there_is_none() -> None:
    host = "25 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    assert container_id_from_mountinfo(host) is None
    # a container directory mounted elsewhere (a volume) is not this process's container
    volume = f"30 25 254:0 /var/lib/docker/containers/{OWN}/x /data rw - ext4 /dev/vda rw\n"
    assert container_id_from_mountinfo(volume) is None
    assert container_id_from_mountinfo("") is None


def test_the_label_is_read_as_a_boolean_and_absent_means_no() -> None:
    assert self_update_wanted({"colibri.self-update": "true"}) is True
    assert self_update_wanted({"colibri.self-update": "Off"}) is False
    assert self_update_wanted({}) is False
    assert self_update_wanted({"colibri.self-update": "sure"}) is None


def test_the_helper_is_never_named_like_an_update_copy() -> None:
    assert helper_name("colibri", "0a1b2c3d") == "colibri-selfupdate-0a1b2c3d"


def test_the_helper_shares_volumes_user_groups_network_and_settings() -> None:
    own: dict[str, Any] = {
        "Id": OWN,
        "Name": "/colibri",
        "Config": {
            "User": "colibri:colibri",
            "Env": [
                "PATH=/old/bin",
                "COLIBRI_API_PORT=9000",
                "DOCKER_HOST=unix:///var/run/docker.sock",
                "HTTPS_PROXY=http://proxy:3128",
                "SECRET_OF_ANOTHER_TOOL=x",
            ],
        },
        "HostConfig": {"GroupAdd": ["106"], "NetworkMode": "backend"},
    }
    body = helper_body(own, "reg/colibri@sha256:" + "a" * 64, ("update", "colibri"), delay=2)
    assert body["Image"] == "reg/colibri@sha256:" + "a" * 64
    # a moment late, so that the update that started it has released the container's lock
    assert body["Entrypoint"] == ["/bin/sh", "-c", 'sleep "$0" && exec colibri "$@"', "2"]
    assert body["Cmd"] == ["update", "colibri"]
    assert body["Env"] == [
        "COLIBRI_API_PORT=9000",
        "DOCKER_HOST=unix:///var/run/docker.sock",
        "HTTPS_PROXY=http://proxy:3128",
    ]
    assert body["User"] == "colibri:colibri"
    assert body["Labels"] == {"colibri.enable": "false", HELPER_LABEL: "colibri"}
    assert body["HostConfig"] == {
        "VolumesFrom": [OWN],
        "GroupAdd": ["106"],
        "NetworkMode": "backend",
        "AutoRemove": True,
    }
