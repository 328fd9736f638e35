"""Colibri updating its own container: which container is its own, whether it may, and the
short-lived helper container that does it.

A process cannot run the update transaction on its own container: the transaction stops the
old container, which is the process itself. So Colibri hands the update to a helper: a
container from the *new* image that runs ``colibri update <own name>``, the one update
pipeline, with the same data, settings, user, groups and network. The helper's run is
journaled in the same store like any other update; it stops the old Colibri, starts the new
one, waits for its HEALTHCHECK (``/healthz``) and removes the old one, or puts the old one
back. The helper removes itself when it ends (``AutoRemove``).

Only a container labelled ``colibri.self-update=true`` (and opted in as any container is, for
example ``colibri.enable=true``, which overrides the image's ``colibri.enable=false``) is
updated this way; Colibri's own container without that label is skipped with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "HELPER_DELAY",
    "HELPER_LABEL",
    "SELF_UPDATE_LABEL",
    "container_id_from_mountinfo",
    "helper_body",
    "helper_name",
    "self_update_wanted",
]

SELF_UPDATE_LABEL = "colibri.self-update"
#: On the helper container: the name of the container it updates.
HELPER_LABEL = "colibri.self-update.of"
#: Docker mounts ``/etc/hostname``, ``/etc/hosts`` and ``/etc/resolv.conf`` of a container from
#: ``<data-root>/containers/<id>/``; podman from ``.../overlay-containers/<id>/userdata/``.
_CONTAINER_DIR = re.compile(r"/(?:overlay-)?containers/([0-9a-f]{64})/")
#: What the helper takes from the old container's environment: Colibri's settings, and what
#: the Docker and registry clients read. PATH and the like come from the new image.
_PASSED_ENV = re.compile(r"^(COLIBRI_|DOCKER_|SSL_CERT_|REQUESTS_CA_BUNDLE=|TZ=)|_PROXY=", re.I)
#: Seconds the helper waits before it starts the update (see :func:`helper_body`).
HELPER_DELAY = 3.0
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def container_id_from_mountinfo(mountinfo: str) -> str | None:
    """The ID of the container this process runs in, from ``/proc/self/mountinfo``; ``None``
    outside a container (or one whose runtime mounts nothing from its container directory)."""
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[4] not in {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}:
            continue
        found = _CONTAINER_DIR.search(fields[3] + "/")
        if found:
            return found.group(1)
    return None


def self_update_wanted(labels: Mapping[str, str]) -> bool | None:
    """``colibri.self-update``'s value: ``False`` when absent, ``None`` when unreadable."""
    value = labels.get(SELF_UPDATE_LABEL)
    if value is None:
        return False
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def helper_name(own_name: str, token: str) -> str:
    """``<own>-selfupdate-<token>``: never the ``<name>-colibri-<run>`` form of update copies."""
    return f"{own_name}-selfupdate-{token}"


def helper_body(
    own: Mapping[str, Any], image: str, command: Sequence[str], delay: float = HELPER_DELAY
) -> dict[str, Any]:
    """The create body of the helper that runs ``colibri <command>`` from ``image`` for the
    container inspected as ``own``: its volumes (``VolumesFrom``: the data, the socket, the
    mounted config), user, groups and network, its settings from the environment, removed
    when it ends and never selected for an update itself. It starts ``delay`` seconds late,
    so that the update that started it has let go of the container's lock by then."""
    config = own.get("Config") or {}
    host = own.get("HostConfig") or {}
    env = [item for item in config.get("Env") or [] if _PASSED_ENV.search(item)]
    network = host.get("NetworkMode") or "default"
    host_config: dict[str, Any] = {
        "VolumesFrom": [own["Id"]],
        "GroupAdd": list(host.get("GroupAdd") or []),
        "NetworkMode": network,
        "AutoRemove": True,
    }
    return {
        "Image": image,
        "Entrypoint": ["/bin/sh", "-c", 'sleep "$0" && exec colibri "$@"', f"{delay:g}"],
        "Cmd": list(command),
        "Env": env,
        "User": config.get("User") or "",
        "Labels": {"colibri.enable": "false", HELPER_LABEL: str(own.get("Name", "")).lstrip("/")},
        "HostConfig": host_config,
    }
