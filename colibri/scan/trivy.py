"""Trivy as an external program: ``trivy image`` on one digest, JSON on stdout.

The invocation keeps every severity (``--severity UNKNOWN,…,CRITICAL``: it is only a display
filter, and the gate decides later from the full list), scans vulnerabilities only (secret
scanning is slow and not what the gate is about) and leaves out the package inventory. Trivy's
own ``--exit-code`` is never used. ``--timeout`` is passed too, so that Trivy's default of five
minutes never cuts a scan shorter than ours.

Server mode (``server=URL``): the client still analyses the image but the server matches it
against *its* DB, so the DB build is read from the server's ``/version`` endpoint. The token
goes through the environment (``TRIVY_TOKEN``), never on the command line where ``ps`` shows it.

Offline mode adds ``--skip-db-update --skip-java-db-update --skip-version-check
--disable-telemetry``: no network at all besides the image itself. The DB then ages, and the
gate's ``max_db_age`` refuses it when it is too old. The last two flags only exist in recent
Trivy releases; an older binary rejects them ("unknown flag"), which fails closed with that
message rather than silently phoning home.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

from colibri.domain.scanning import ScannerInfo, ScanReport, merge_findings
from colibri.errors import ConfigError, ScanError
from colibri.scan._common import (
    META_TIMEOUT,
    ImageSource,
    check_digest,
    merged_env,
    read_output,
    scan_target,
)
from colibri.scan._process import run_program
from colibri.scan.trivy_report import parse_trivy_report, parse_trivy_version

__all__ = ["ALL_SEVERITIES", "DEFAULT_TIMEOUT", "TrivyScanner"]

logger = logging.getLogger(__name__)

ALL_SEVERITIES = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"
#: drydock's default; large images take minutes, a warm DB keeps small ones to seconds.
DEFAULT_TIMEOUT = 600.0
OFFLINE_FLAGS = ("--skip-db-update", "--skip-java-db-update")
QUIET_FLAGS = ("--skip-version-check", "--disable-telemetry")
VERSION_BODY_LIMIT = 1 << 20
_T = TypeVar("_T")


class TrivyScanner:
    """The ``Scanner`` port on top of the ``trivy`` program (``binary`` may be any path)."""

    def __init__(
        self,
        binary: str | os.PathLike[str] = "trivy",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        source: ImageSource = ImageSource.DOCKER,
        server: str | None = None,
        token: str | None = None,
        cache_dir: str | None = None,
        offline: bool = False,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if server is not None and urlsplit(server).scheme not in ("http", "https"):
            raise ConfigError(f"trivy server must be an http(s) URL, got {server!r}")
        self.binary = os.fspath(binary)
        self.timeout = timeout
        self.source = ImageSource(source)
        self.server = server.rstrip("/") if server else None
        self.cache_dir = cache_dir
        self.offline = offline
        self._token = token
        self._env = dict(env or {})
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()  # Trivy's cache admits one process at a time

    @property
    def name(self) -> str:
        return "trivy"

    def scan_argv(self, ref: str) -> list[str]:
        """The command line that scans ``ref`` (``repository@digest``)."""
        argv = [self.binary, "image", "--format", "json", "--quiet", "--scanners", "vuln"]
        argv += ["--severity", ALL_SEVERITIES, "--list-all-pkgs=false"]
        argv += ["--timeout", f"{math.ceil(self.timeout)}s", "--image-src", self.source.value]
        if self.server:
            argv += ["--server", self.server]
        if self.cache_dir:
            argv += ["--cache-dir", self.cache_dir]
        if self.offline:
            argv += [*(() if self.server else OFFLINE_FLAGS), *QUIET_FLAGS]
        return [*argv, ref]

    def version_argv(self) -> list[str]:
        """The command line that prints the version and the local DB's metadata as JSON."""
        cache = ["--cache-dir", self.cache_dir] if self.cache_dir else []
        return [self.binary, "--version", "--format", "json", *cache]

    def describe(self) -> tuple[ScannerInfo, ...]:
        """Trivy's version and the DB build it matches against (the server's, in server mode)."""
        local = self._run_json(self.version_argv(), parse_trivy_version, META_TIMEOUT)
        if not self.server:
            return (local,)
        remote = self._server_info()
        return (ScannerInfo("trivy", local.version, remote.db_schema, remote.db_built_at),)

    def scan(self, image: str, digest: str) -> ScanReport:
        """Scan ``<repository>@<digest>``; the DB is described *after* the scan, since Trivy
        may have updated it when the scan started."""
        target = scan_target(image, digest)
        with self._lock:
            parsed = self._run_json(self.scan_argv(target.ref), parse_trivy_report, self.timeout)
            check_digest(parsed.repo_digests, target, name="trivy")
            (info,) = self.describe()
        report = ScanReport(
            target.repository,
            digest,
            (info,),
            merge_findings(parsed.findings),
            scanned_at=self._clock(),
        )
        logger.info("scanned %s with %s: %s", target.ref, info.describe(), _counts(report))
        return report

    def _run_json(self, argv: list[str], parse: Callable[[bytes], _T], timeout: float) -> _T:
        env = merged_env(os.environ, {"TRIVY_TOKEN": self._token} if self._token else {}, self._env)
        result = run_program(argv, name="trivy", timeout=min(timeout, self.timeout), env=env)
        return read_output(result, parse, name="trivy")

    def _server_info(self) -> ScannerInfo:
        """The server's ``/version``: which DB build it matches against."""
        url = f"{self.server}/version"
        headers = {"Trivy-Token": self._token} if self._token else {}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked)
        wait = min(self.timeout, META_TIMEOUT)
        try:
            with urllib.request.urlopen(request, timeout=wait) as response:  # noqa: S310
                body = response.read(VERSION_BODY_LIMIT)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ScanError(f"trivy server {self.server} did not answer /version: {exc}") from None
        return parse_trivy_version(body, source=f"trivy server {url}")


def _counts(report: ScanReport) -> str:
    return ", ".join(f"{n} {severity}" for severity, n in report.counts.items() if n) or "clean"
