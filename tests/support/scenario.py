"""Images published to a local registry the way upstream publishes them, and the CLI run as
users run it (a subprocess), for end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support.images import ImageFactory
from tests.support.registry import RegistryServer


@dataclass(frozen=True)
class Published:
    """An image as the registry has it: ``ref`` is ``host/repo:tag``."""

    ref: str
    repository: str
    tag: str
    digest: str
    image_id: str
    marker: str


class Publisher:
    """Builds images and publishes them, leaving the daemon as a user's daemon would be: it
    has what was pulled, not what upstream built. ``api`` builds and pushes (upstream);
    ``host_api`` (default: the same daemon) is the user's engine, where images are pulled
    and tagged."""

    def __init__(
        self,
        api: docker.APIClient,
        images: ImageFactory,
        registry: RegistryServer,
        *,
        host_api: docker.APIClient | None = None,
    ):
        self.api = api
        self.host_api = host_api or api
        self.images = images
        self.registry = registry

    def publish(self, repository: str, tag: str, **build: Any) -> Published:
        built = self.images.build(f"{self.images.prefix}-build/{secrets.token_hex(4)}:b", **build)
        digest = self.registry.push(self.api, built.id, repository, tag)
        return Published(
            self.registry.ref(repository, tag),
            f"{self.registry.host}/{repository}",
            tag,
            digest,
            built.id,
            built.marker,
        )

    def upstream_moved(
        self, repository: str, tag: str = "1", **v2_build: Any
    ) -> tuple[Published, Published]:
        """The usual starting point: v1 pulled and tagged locally, then v2 published upstream
        under the same tag and not pulled (as if built elsewhere)."""
        v1 = self.publish(repository, tag)
        self.pull(v1)
        v2 = self.publish(repository, tag, **v2_build)
        self.forget(v2)
        self.host_api.tag(v1.image_id, v1.repository, tag)
        return v1, v2

    def pull(self, published: Published) -> None:
        """What a user does: pull the tag (records the RepoDigest)."""
        self.host_api.pull(published.repository, tag=published.tag)

    def forget(self, published: Published) -> None:
        """Remove upstream's build from the daemon (as if it was built elsewhere)."""
        for ref in (published.ref, *self._build_tags(published.image_id)):
            with contextlib.suppress(docker.errors.APIError):
                self.api.remove_image(ref, force=False, noprune=False)

    def untag_build(self, published: Published) -> None:
        """Leave only the registry's names on the image (as if it had only been pulled)."""
        for tag in self._build_tags(published.image_id):
            self.api.remove_image(tag)

    def _build_tags(self, image_id: str) -> list[str]:
        try:
            return [t for t in self.api.inspect_image(image_id)["RepoTags"] if "-build/" in t]
        except docker.errors.APIError:
            return []


@pytest.fixture
def publisher(
    docker_api: docker.APIClient, image_factory: ImageFactory, registry: RegistryServer
) -> Publisher:
    return Publisher(docker_api, image_factory, registry)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not JSON: {self.stdout!r}\nstderr: {self.stderr}") from exc


class ColibriCli:
    """Runs ``python -m colibri`` in a subprocess with its own data and Docker config dirs."""

    def __init__(self, workdir: Path) -> None:
        self.data_dir = workdir / "data"
        self.docker_config = workdir / "docker-config"
        self.docker_config.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "COLIBRI_DATA_DIR": str(self.data_dir),
            "COLIBRI_DOCKER_CONFIG": str(self.docker_config),
            "COLIBRI_STABILITY_WINDOW": "1",
            "COLIBRI_HEALTH_TIMEOUT": "20",
            "COLIBRI_LOG_LEVEL": "INFO",
            "COLUMNS": "250",
        }
        self.env.pop("COLIBRI_FAILPOINT", None)

    def run(self, *args: str, timeout: float = 120, **env: str) -> CliResult:
        return self._finish(self.start(*args, **env), timeout)

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "colibri", *args],
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    @staticmethod
    def _finish(process: subprocess.Popen[str], timeout: float) -> CliResult:
        stdout, stderr = process.communicate(timeout=timeout)
        return CliResult(process.returncode, stdout, stderr)

    def json(self, *args: str, expect: Sequence[int] = (0,), **env: str) -> Any:
        result = self.run(*args, "--format", "json", **env)
        assert result.returncode in expect, (result.returncode, result.stdout, result.stderr)
        return result.json()


@pytest.fixture
def colibri(tmp_path: Path) -> Iterator[ColibriCli]:
    yield ColibriCli(tmp_path)
