"""Grype as an external program: ``grype <scheme>:<repository>@<digest> -o json``.

The scheme says where the image comes from (``docker:`` for the local daemon, ``registry:`` for
no daemon); without one Grype would try the daemons first and might scan something else. No
``--fail-on``, ``--only-fixed`` or ``--by-cve``: the report keeps everything as matched, and the
gate decides. The version and DB build come from the report's ``descriptor`` (exactly the DB
the scan used); ``grype version`` / ``grype db status`` fill in what an older Grype leaves out.

Environment: ``GRYPE_CHECK_FOR_APP_UPDATE=false`` always (no phoning home during a gate);
offline mode adds ``GRYPE_DB_AUTO_UPDATE=false``; ``db_dir`` sets ``GRYPE_DB_CACHE_DIR``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from colibri.domain.scanning import ScannerInfo, ScanReport, merge_findings
from colibri.scan._common import (
    META_TIMEOUT,
    ImageSource,
    check_digest,
    merged_env,
    read_output,
    scan_target,
)
from colibri.scan._process import run_program
from colibri.scan.grype_report import (
    GrypeDatabase,
    parse_grype_db_status,
    parse_grype_report,
    parse_grype_version,
)

__all__ = ["DEFAULT_TIMEOUT", "GrypeScanner"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 600.0
SCHEMES = {ImageSource.DOCKER: "docker", ImageSource.REMOTE: "registry"}
_T = TypeVar("_T")


class GrypeScanner:
    """The ``Scanner`` port on top of the ``grype`` program (``binary`` may be any path)."""

    def __init__(
        self,
        binary: str | os.PathLike[str] = "grype",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        source: ImageSource = ImageSource.DOCKER,
        db_dir: str | None = None,
        offline: bool = False,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.binary = os.fspath(binary)
        self.timeout = timeout
        self.source = ImageSource(source)
        self.db_dir = db_dir
        self.offline = offline
        self._env = dict(env or {})
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "grype"

    def scan_argv(self, ref: str) -> list[str]:
        """The command line that scans ``ref`` (``repository@digest``)."""
        return [self.binary, f"{SCHEMES[self.source]}:{ref}", "-o", "json", "-q"]

    def environment(self) -> dict[str, str]:
        """The variables set on every Grype run, over the inherited environment."""
        env = {"GRYPE_CHECK_FOR_APP_UPDATE": "false"}
        if self.offline:
            env["GRYPE_DB_AUTO_UPDATE"] = "false"
        if self.db_dir:
            env["GRYPE_DB_CACHE_DIR"] = self.db_dir
        return {**env, **self._env}

    def describe(self) -> tuple[ScannerInfo, ...]:
        """Grype's version and its installed DB's build."""
        return (self._info(self._version(), self._db_status()),)

    def scan(self, image: str, digest: str) -> ScanReport:
        """Scan ``<repository>@<digest>`` and record the Grype and DB the report names."""
        target = scan_target(image, digest)
        with self._lock:
            parsed = self._run_json(self.scan_argv(target.ref), parse_grype_report, self.timeout)
            check_digest(parsed.digests, target, name="grype")
            database = parsed.database
            if database is None or database.built_at is None:
                database = self._db_status()
            version = parsed.version or self._version()
        info = self._info(version, database)
        findings = merge_findings(parsed.findings)
        report = ScanReport(target.repository, digest, (info,), findings, scanned_at=self._clock())
        logger.info(
            "scanned %s with %s: %d finding(s), %d ignored by grype's own configuration",
            target.ref,
            info.describe(),
            len(findings),
            parsed.ignored,
        )
        return report

    def _version(self) -> str:
        argv = [self.binary, "version", "-o", "json"]
        return self._run_json(argv, parse_grype_version, META_TIMEOUT)

    def _db_status(self) -> GrypeDatabase:
        argv = [self.binary, "db", "status", "-o", "json"]
        return self._run_json(argv, parse_grype_db_status, META_TIMEOUT)

    def _info(self, version: str, database: GrypeDatabase) -> ScannerInfo:
        return ScannerInfo("grype", version, database.schema, database.built_at)

    def _run_json(self, argv: list[str], parse: Callable[[bytes], _T], timeout: float) -> _T:
        env = merged_env(os.environ, self.environment())
        result = run_program(argv, name="grype", timeout=min(timeout, self.timeout), env=env)
        return read_output(result, parse, name="grype")
