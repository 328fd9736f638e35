"""Shared fixtures: a real dockerd, local test images, real registries, fault injection."""

import os

import pytest

pytest_plugins = [
    "tests.support.api",
    "tests.support.cosign",
    "tests.support.databases",
    "tests.support.docker_env",
    "tests.support.fault_proxy",
    "tests.support.fake_scanners",
    "tests.support.images",
    "tests.support.notify_sink",
    "tests.support.registry",
    "tests.support.scenario",
    "tests.support.colibri_image",
    "tests.support.engines",
    "tests.support.systemd_standin",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need systemd as PID 1 run only when asked for (`make test-systemd`), where
    they fail if systemd is not there: no machine of the default run has it."""
    if os.environ.get("COLIBRI_TEST_SYSTEMD") == "1":
        return
    kept = [item for item in items if item.get_closest_marker("systemd") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
