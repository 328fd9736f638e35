"""``scripts/install`` (``make install``) on this machine, into a temporary prefix: the
virtualenv, the ``colibri`` link, the unit as ``systemd-analyze verify`` judges it, settings
created once and then kept, and the installed ``colibri`` serving."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.colibri_image import ROOT
from tests.support.registry import free_port

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]


@dataclass(frozen=True)
class Installed:
    prefix: Path
    bindir: Path
    unit: Path
    env_file: Path
    env: dict[str, str]


def install(layout: Installed) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(ROOT / "scripts" / "install")],
        env=layout.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, colibri_image: str) -> Installed:
    """Installed once for the module, from the wheelhouse the image build made."""
    root = tmp_path_factory.mktemp("install")
    layout = Installed(
        prefix=root / "opt" / "colibri",
        bindir=root / "bin",
        unit=root / "systemd" / "colibri.service",
        env_file=root / "etc" / "colibri" / "colibri.env",
        env={
            **os.environ,
            "PREFIX": str(root / "opt" / "colibri"),
            "BINDIR": str(root / "bin"),
            "UNITDIR": str(root / "systemd"),
            "CONFDIR": str(root / "etc" / "colibri"),
        },
    )
    install(layout)
    return layout


def test_colibri_is_installed_in_its_own_virtualenv(installed: Installed) -> None:
    link = installed.bindir / "colibri"
    assert link.is_symlink()
    assert link.resolve() == (installed.prefix / "bin" / "colibri").resolve()
    assert (installed.prefix / "pyvenv.cfg").is_file()
    # the system Python was not touched (PEP 668)
    system = subprocess.run(
        ["/usr/bin/python3", "-I", "-c", "import colibri"],
        cwd="/",
        capture_output=True,
        check=False,
    )
    assert system.returncode != 0
    assert sys.prefix != str(installed.prefix)


def test_the_unit_is_valid_and_points_at_the_install(installed: Installed) -> None:
    text = installed.unit.read_text()
    assert f"ExecStart={installed.prefix}/bin/colibri serve" in text
    assert f"EnvironmentFile=-{installed.env_file}" in text
    assert "CacheDirectory=colibri" in text
    assert "TRIVY_CACHE_DIR=/var/cache/colibri/" in text
    assert "GRYPE_DB_CACHE_DIR=/var/cache/colibri/" in text
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(installed.unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    assert installed.unit.name not in verify.stderr, verify.stderr


def test_settings_are_created_once_and_then_kept(installed: Installed) -> None:
    assert installed.env_file.stat().st_mode & 0o777 == 0o600
    assert "COLIBRI_API_PORT" in installed.env_file.read_text()
    installed.env_file.write_text("COLIBRI_CHECK_INTERVAL=1h\n")
    again = install(installed)
    assert "kept as they are" in again.stderr
    assert installed.env_file.read_text() == "COLIBRI_CHECK_INTERVAL=1h\n"


def test_the_installed_colibri_serves(installed: Installed, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "COLIBRI_DATA_DIR": str(tmp_path / "data"),
        "COLIBRI_API_PORT": str(port),
        "COLIBRI_CHECK_INTERVAL": "off",
    }
    process = subprocess.Popen(
        [str(installed.bindir / "colibri"), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert health.json()["status"] == "ok", health.text
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Colibri stopped." in output


def _wait_for(url: str, process: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "colibri serve exited before it answered"
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"no answer from {url} within {timeout} s")
