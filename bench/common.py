"""What the benchmarks share: a scratch registry, labelled Docker objects, timing."""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import docker

from tests.support.images import ImageFactory
from tests.support.registry import RegistryServer

LABEL = "colibri.bench"
T = TypeVar("T")


@contextmanager
def bench_world() -> Iterator[tuple[docker.APIClient, RegistryServer, ImageFactory, str]]:
    """A registry, an image factory and a unique prefix; everything removed afterwards."""
    api = docker.APIClient(version="auto", timeout=300)
    prefix = f"colibri-bench-{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory(prefix="colibri-bench-") as tmp:
        registry = RegistryServer(Path(tmp))
        registry.start()
        factory = ImageFactory(api, prefix)
        try:
            yield api, registry, factory, prefix
        finally:
            remove_containers(api, prefix)
            factory.cleanup()
            remove_images(api, prefix)
            registry.stop()
            api.close()


def remove_images(api: docker.APIClient, prefix: str) -> None:
    """Every image tagged or pulled under a name containing ``prefix``."""
    for image in api.images(all=True):
        names = [*(image.get("RepoTags") or []), *(image.get("RepoDigests") or [])]
        if any(prefix in name for name in names):
            _quiet(api.remove_image, image["Id"], force=True)


def remove_containers(api: docker.APIClient, prefix: str) -> None:
    found = api.containers(all=True, filters={"label": f"{LABEL}={prefix}"})
    parallel([lambda c=c: _quiet(api.remove_container, c["Id"], force=True) for c in found])


def _quiet(action: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(docker.errors.APIError):
        action(*args, **kwargs)


def parallel(actions: Sequence[Callable[[], T]], workers: int = 8) -> list[T]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda action: action(), actions))


def timed_command(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall time of one command (seconds) and its stdout; a failure aborts the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout


def median_of(runs: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    samples = [measure() for _ in range(runs)]
    return statistics.median(samples), samples


def python() -> str:
    return sys.executable


def colibri_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COLIBRI_DATA_DIR": str(tmp / "data"),
        "COLIBRI_DOCKER_CONFIG": str(tmp / "docker-config"),
    }
