"""Vulnerability scanners behind the ``Scanner`` port: Trivy and Grype as external programs.

Each adapter runs its program on exactly ``<repository>@<digest>``, reads the JSON on stdout
(never the exit code as a verdict), bounds it with a timeout that kills the whole process group,
and returns a normalised ``colibri.domain.scanning.ScanReport`` with the scanner's version and
DB build. Failures raise ``colibri.errors.ScanError``; the gate (``colibri.domain.criteria``)
fails closed on them. The parsers are pure functions, usable on stored or recorded output::

    scanner = make_scanner("both", ScanOptions(timeout=300))
    report = scanner.scan("nginx:1.25", "sha256:…")
"""

from __future__ import annotations

from colibri.scan._common import ImageSource
from colibri.scan.combined import CombinedScanner
from colibri.scan.factory import ScannerKind, ScanOptions, make_scanner
from colibri.scan.grype import GrypeScanner
from colibri.scan.grype_report import (
    GrypeDatabase,
    GrypeReport,
    parse_grype_db_status,
    parse_grype_report,
    parse_grype_version,
)
from colibri.scan.trivy import TrivyScanner
from colibri.scan.trivy_report import TrivyReport, parse_trivy_report, parse_trivy_version

__all__ = [
    "CombinedScanner",
    "GrypeDatabase",
    "GrypeReport",
    "GrypeScanner",
    "ImageSource",
    "ScanOptions",
    "ScannerKind",
    "TrivyReport",
    "TrivyScanner",
    "make_scanner",
    "parse_grype_db_status",
    "parse_grype_report",
    "parse_grype_version",
    "parse_trivy_report",
    "parse_trivy_version",
]
