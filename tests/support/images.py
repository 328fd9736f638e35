"""Small, distinct test images built locally from busybox-static (nothing comes from a hub).

Each image is a rootfs with ``/bin/busybox`` and its applets, ``/etc/passwd``/``group`` and a
marker file whose content makes the image (and so its digests) unique, imported with
``docker import`` and optional Dockerfile-style changes (CMD, ENTRYPOINT, ENV, LABEL, EXPOSE,
VOLUME, WORKDIR, USER, STOPSIGNAL, HEALTHCHECK).
"""

from __future__ import annotations

import contextlib
import io
import secrets
import shutil
import tarfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import docker
import pytest

from tests.support.docker_env import SESSION_LABEL

BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")
APPLETS = (
    "sh",
    "ash",
    "cat",
    "echo",
    "sleep",
    "ls",
    "mkdir",
    "touch",
    "rm",
    "true",
    "false",
    "kill",
    "ps",
    "env",
    "test",
    "printf",
    "id",
    "nc",
    "httpd",
    "wget",
    "grep",
    "head",
    "tail",
    "date",
    "hostname",
    "ip",
    "ifconfig",
    "mount",
    "df",
    "wc",
    "tr",
    "sed",
    "awk",
    "stat",
    "chmod",
    "whoami",
    "uname",
    "pidof",
    "xargs",
    "seq",
    "dd",
    "cut",
    "sort",
    "timeout",
)
PASSWD = (
    b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    b"app:x:1000:1000:app:/home/app:/bin/sh\n"
)
#: The default command: runs until stopped, and stops at once on SIGTERM/SIGINT (a bare
#: ``sleep`` as PID 1 ignores SIGTERM and costs every stop the full 10 s timeout).
SERVE_FOREVER = ("sh", "-c", "trap 'exit 0' TERM INT; sleep 86400 & wait")
GROUP = b"root:x:0:\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:app\n"


def busybox_binary() -> bytes:
    for path in BUSYBOX_PATHS:
        found = shutil.which(path) or (path if _exists(path) else None)
        if found:
            with open(found, "rb") as handle:
                return handle.read()
    pytest.fail("busybox-static is not installed: run `scripts/setup-system test`", pytrace=False)


def _exists(path: str) -> bool:
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


def rootfs_tar(
    marker: str, extra_files: dict[str, bytes] | None = None, skip_applets: Sequence[str] = ()
) -> bytes:
    """A tar of a minimal busybox root filesystem with ``/colibri-marker`` = ``marker``."""
    buffer = io.BytesIO()
    binary = busybox_binary()
    now = int(time.time())
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for directory in ("bin", "etc", "tmp", "root", "home", "home/app", "data", "var", "run"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            info.mtime = now
            tar.addfile(info)
        _add_file(tar, "bin/busybox", binary, 0o755, now)
        for applet in APPLETS:
            if applet in skip_applets:
                continue
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            info.mtime = now
            tar.addfile(info)
        _add_file(tar, "etc/passwd", PASSWD, 0o644, now)
        _add_file(tar, "etc/group", GROUP, 0o644, now)
        _add_file(tar, "colibri-marker", marker.encode() + b"\n", 0o644, now)
        for path, content in (extra_files or {}).items():
            _add_file(tar, path.lstrip("/"), content, 0o755, now)
    return buffer.getvalue()


def _add_file(tar: tarfile.TarFile, name: str, content: bytes, mode: int, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = mode
    info.mtime = mtime
    tar.addfile(info, io.BytesIO(content))


@dataclass(frozen=True)
class BuiltImage:
    id: str
    ref: str
    marker: str


class ImageFactory:
    """Builds distinct local images; removes them at the end of the session."""

    def __init__(self, api: docker.APIClient, prefix: str) -> None:
        self.api = api
        self.prefix = prefix
        self.refs: list[str] = []

    def build(
        self,
        ref: str | None = None,
        *,
        cmd: str | Sequence[str] | None = SERVE_FOREVER,
        changes: Sequence[str] = (),
        marker: str | None = None,
        extra_files: dict[str, bytes] | None = None,
        skip_applets: Sequence[str] = (),
    ) -> BuiltImage:
        """Import a new image as ``ref`` (default ``<prefix>-local/img:<random>``)."""
        marker = marker or secrets.token_hex(8)
        ref = ref or f"{self.prefix}-local/img:{secrets.token_hex(3)}"
        repository, _, tag = ref.rpartition(":") if _has_tag(ref) else (ref, "", "latest")
        all_changes = [f'LABEL {SESSION_LABEL}="{self.prefix}"', *changes]
        if cmd is not None:
            all_changes.append("CMD " + _json_list(cmd))
        data = rootfs_tar(marker, extra_files, skip_applets)
        self.api.import_image_from_data(data, repository=repository, tag=tag, changes=all_changes)
        image = self.api.inspect_image(f"{repository}:{tag}")
        self.refs.append(f"{repository}:{tag}")
        return BuiltImage(id=image["Id"], ref=f"{repository}:{tag}", marker=marker)

    def cleanup(self) -> None:
        for ref in self.refs:
            with contextlib.suppress(docker.errors.APIError):
                self.api.remove_image(ref, force=True)


def _has_tag(ref: str) -> bool:
    return ref.rfind(":") > ref.rfind("/")


def _json_list(value: str | Sequence[str]) -> str:
    import json

    if isinstance(value, str):
        return json.dumps(["/bin/sh", "-c", value])
    return json.dumps(list(value))


@pytest.fixture(scope="session")
def image_factory(docker_api: docker.APIClient, session_prefix: str) -> Iterator[ImageFactory]:
    factory = ImageFactory(docker_api, session_prefix)
    yield factory
    factory.cleanup()
