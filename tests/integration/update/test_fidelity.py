"""After an update (or a rollback) the container is the same container: every ``docker run``
option survives, and the data in its named and anonymous volumes is still there."""

from __future__ import annotations

import copy
import secrets
import subprocess
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support.docker_env import SESSION_LABEL, DockerTracker
from tests.support.engines import EngineUnderTest
from tests.support.registry import free_port
from tests.support.scenario import ColibriCli, Publisher

pytestmark = pytest.mark.docker

# Fields that must differ after a successful update, and why:
# Id/Created/State/RestartCount/paths: a new container; Image: the new image's ID (Config.Image
# stays the reference the user wrote).
VOLATILE = (
    "Id",
    "Created",
    "State",
    "Image",
    "ResolvConfPath",
    "HostnamePath",
    "HostsPath",
    "LogPath",
    "RestartCount",
    "ExecIDs",
    "GraphDriver",
    "SizeRw",
    "SizeRootFs",
)


def comparable(
    inspect: dict[str, Any], *, anonymous: set[str], random_macs: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The inspect document without what must change. Anonymous volumes are re-attached by
    name, so their entries in ``HostConfig.Mounts`` and their ``Mode`` are left out; an endpoint's
    empty ``DriverOpts`` may read ``{}`` or ``null`` (the same thing to the daemon)."""
    doc = copy.deepcopy(inspect)
    short_id = doc["Id"][:12]
    for key in VOLATILE:
        doc.pop(key, None)
    doc["Config"]["Env"] = sorted(doc["Config"].get("Env") or [])  # podman reorders it
    doc["HostConfig"]["Mounts"] = [
        mount for mount in doc["HostConfig"].get("Mounts") or [] if mount["Source"] not in anonymous
    ] or None
    doc["Mounts"] = sorted(doc["Mounts"], key=lambda mount: mount["Destination"])
    for mount in doc["Mounts"]:
        if mount.get("Name") in anonymous:
            mount.pop("Mode")  # a volume mounted by name reads "z" (SELinux label), same data
    networks = {}
    for name, settings in doc["NetworkSettings"]["Networks"].items():
        networks[name] = {
            "IPAMConfig": settings.get("IPAMConfig"),
            "Aliases": sorted(a for a in settings.get("Aliases") or [] if a != short_id),
            "Links": settings.get("Links"),
            "IPAddress": settings.get("IPAddress"),
            "MacAddress": None if name in random_macs else settings.get("MacAddress"),
            "DriverOpts": settings.get("DriverOpts") or None,
        }
    doc["NetworkSettings"] = {"Networks": networks, "Ports": doc["NetworkSettings"]["Ports"]}
    return doc


#: ``docker run`` options podman has no equivalent for: ``podman run`` has no ``--domainname``
#: (its UTS namespace takes the host name alone).
DOCKER_ONLY = ("--domainname", "example.test")
#: And one podman needs: given any ``--ulimit``, podman still sets nproc to its own default
#: (above what a CI container's hard limit allows), unless nproc is given too.
PODMAN_ONLY = ("--ulimit", "nproc=4096:4096")


def docker_cli(engine: EngineUnderTest, *args: str) -> str:
    """The engine's own CLI with the same command line: Debian's docker CLI (whose options
    match the daemon's API version), or podman's (the docker CLI cannot drive podman's API:
    podman's ping names no server OS, which ``docker run`` refuses)."""
    if engine.podman is not None:
        return engine.podman.cli(*args)
    binary = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
    done = subprocess.run([binary, *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture
def full_container(
    engine: EngineUnderTest,
    engine_tracker: DockerTracker,
    engine_publisher: Publisher,
    session_prefix: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> dict[str, Any]:
    """A container created with as many ``docker run`` options as this daemon supports, from
    v1 of an image whose v2 (``broken`` param: cannot start) waits upstream."""
    repo = f"{session_prefix}/fidelity-{secrets.token_hex(2)}"
    broken = getattr(request, "param", False)
    # The container overrides entrypoint, command and health check, so a broken v2 is one
    # without the shell its entrypoint names.
    v1, v2 = engine_publisher.upstream_moved(repo, skip_applets=("sh", "ash") if broken else ())
    subnet = secrets.randbelow(200) + 20
    net1 = engine_tracker.network(
        "front",
        ipam=docker.types.IPAMConfig(
            pool_configs=[docker.types.IPAMPool(subnet=f"10.{subnet}.1.0/24")]
        ),
    )
    net2 = engine_tracker.network(
        "back",
        ipam=docker.types.IPAMConfig(
            pool_configs=[docker.types.IPAMPool(subnet=f"10.{subnet}.2.0/24")]
        ),
    )
    named = engine_tracker.volume("named")
    host_dir = tmp_path / "conf"
    host_dir.mkdir()
    (host_dir / "settings").write_text("from the host\n")
    name = engine_tracker.name("full")
    tcp_port, udp_port = free_port(), free_port()
    docker_cli(
        engine,
        "run",
        "-d",
        "--name",
        name,
        "--label",
        f"{SESSION_LABEL}={session_prefix}",
        "--label",
        "colibri.enable=true",
        "--label",
        "com.docker.compose.project=demo",
        "--label",
        "com.docker.compose.service=web",
        "--label",
        "team=ops",
        "-e",
        "A=1",
        "-e",
        "B=two words",
        "--user",
        "1000:1000",
        "--group-add",
        "2000",
        "--workdir",
        "/tmp",
        "--entrypoint",
        "/bin/sh",
        "--hostname",
        "web",
        *(PODMAN_ONLY if engine.is_podman else DOCKER_ONLY),
        "--network",
        net1.name,
        "--network-alias",
        "web-a",
        "--ip",
        f"10.{subnet}.1.10",
        "--mac-address",
        "02:42:0a:00:01:0a",
        "-p",
        f"127.0.0.1:{tcp_port}:80/tcp",
        "-p",
        f"127.0.0.1:{udp_port}:53/udp",
        "-v",
        f"{named.name}:/data",
        "-v",
        f"{host_dir}:/conf:ro",
        "-v",
        "/anon",
        "--tmpfs",
        "/run/t:size=1m",
        "--restart",
        "on-failure:3",
        "--health-cmd",
        "true",
        "--health-interval",
        "1s",
        "--health-retries",
        "2",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "MKNOD",
        "--security-opt",
        "no-new-privileges",
        "--sysctl",
        "net.ipv4.ip_unprivileged_port_start=0",
        "--ulimit",
        "nofile=1024:2048",
        "--memory",
        "64m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "100",
        "--device",
        "/dev/null:/dev/mynull",
        "--dns",
        "10.0.0.53",
        "--dns-search",
        "example.test",
        "--add-host",
        "db.internal:10.0.0.5",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=1m",
        "--log-opt",
        "max-file=2",
        "--init",
        "--read-only",
        "--shm-size",
        "32m",
        "--stop-signal",
        "SIGINT",
        "--stop-timeout",
        "5",
        v1.ref,
        "-c",
        "exec sleep 3600",
    )
    docker_cli(
        engine,
        "network",
        "connect",
        "--alias",
        "web-b",
        "--ip",
        f"10.{subnet}.2.10",
        net2.name,
        name,
    )
    docker_cli(
        engine,
        "exec",
        "-u",
        "0",
        name,
        "sh",
        "-c",
        "echo named-data > /data/f && echo anon-data > /anon/f",
    )
    # Podman gives a network joined without --mac-address a new random MAC at every start,
    # even of the same container (Docker derives it from the address), so after a rollback
    # (the old container started again) it is not comparable there. An update keeps it.
    random_macs = frozenset({net2.name}) if engine.is_podman else frozenset()
    return {"name": name, "v1": v1, "v2": v2, "random_macs": random_macs}


def volume_data(client: docker.DockerClient, name: str) -> tuple[str, str]:
    container = client.containers.get(name)

    def read(path: str) -> str:
        output = container.exec_run(["cat", path]).output
        assert isinstance(output, bytes)
        return output.decode().strip()

    return read("/data/f"), read("/anon/f")


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Readable paths where two inspect documents differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            found += differences(before.get(key), after.get(key), f"{path}.{key}")
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found += differences(old, new, f"{path}[{index}]")
        return found
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


def anonymous_volumes(inspect: dict[str, Any]) -> set[str]:
    return {
        m["Name"]
        for m in inspect["Mounts"]
        if m["Type"] == "volume" and len(m.get("Name", "")) == 64
    }


def test_an_update_keeps_every_setting_and_the_data(
    full_container: dict[str, Any], engine_cli: ColibriCli, engine: EngineUnderTest
) -> None:
    name, v1, v2 = full_container["name"], full_container["v1"], full_container["v2"]
    before = engine.api.inspect_container(name)
    [outcome] = engine_cli.json("update", name)
    assert outcome["status"] == "updated", outcome
    after = engine.api.inspect_container(name)
    assert after["Id"] != before["Id"]
    assert after["Config"]["Image"] == before["Config"]["Image"] == f"{v1.repository}:1"
    assert after["Image"] == engine.api.inspect_image(f"{v1.repository}@{v2.digest}")["Id"]
    anonymous = anonymous_volumes(before)
    assert anonymous and anonymous == anonymous_volumes(after)
    changed = differences(
        comparable(before, anonymous=anonymous), comparable(after, anonymous=anonymous)
    )
    assert changed == [], "\n".join(changed)
    assert volume_data(engine.client, name) == ("named-data", "anon-data")
    assert after["State"]["Health"]["Status"] == "healthy"


@pytest.mark.parametrize("full_container", [True], indirect=True)
def test_a_rollback_leaves_the_same_container_with_its_data(
    full_container: dict[str, Any], engine_cli: ColibriCli, engine: EngineUnderTest
) -> None:
    name = full_container["name"]
    before = engine.api.inspect_container(name)
    [outcome] = engine_cli.json("update", name, expect=(4,))
    assert outcome["status"] == "rolled_back", outcome
    after = engine.api.inspect_container(name)
    assert after["Id"] == before["Id"]
    anonymous = anonymous_volumes(before)
    changed = differences(
        comparable(before, anonymous=anonymous, random_macs=full_container["random_macs"]),
        comparable(after, anonymous=anonymous, random_macs=full_container["random_macs"]),
    )
    assert changed == [], "\n".join(changed)
    assert after["State"]["Running"]
    assert volume_data(engine.client, name) == ("named-data", "anon-data")
