"""Vulnerability scanners behind the ``Scanner`` port: Trivy and Grype as external programs.

The parsers are pure functions from a scanner's JSON output to normalised findings, usable on
live, stored or recorded output alike.
"""

from __future__ import annotations

from colibri.scan.grype_report import (
    GrypeDatabase,
    GrypeReport,
    parse_grype_db_status,
    parse_grype_report,
    parse_grype_version,
)
from colibri.scan.trivy_report import TrivyReport, parse_trivy_report, parse_trivy_version

__all__ = [
    "GrypeDatabase",
    "GrypeReport",
    "TrivyReport",
    "parse_grype_db_status",
    "parse_grype_report",
    "parse_grype_version",
    "parse_trivy_report",
    "parse_trivy_version",
]
