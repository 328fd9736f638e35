"""Shared fixtures: a real dockerd, local test images, real registries, fault injection."""

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
