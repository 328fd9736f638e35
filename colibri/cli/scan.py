"""``colibri scan IMAGE``: scan one image by digest with the configured scanner(s)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from colibri.bootstrap import cli as bootstrap
from colibri.cli.common import ExitCode, OutputFormat, configure_logging, fail_cleanly
from colibri.cli.options import FormatOpt, HostOpt, LogOpt
from colibri.config import load_settings

if TYPE_CHECKING:
    from rich.table import Table

    from colibri.services.scan import ScanOutcome

__all__ = ["SCAN_EXIT_CODES_HELP", "exit_code_for", "scan"]

#: The configured criteria block the image (``colibri scan`` only).
EXIT_BLOCKED = 5

SCAN_EXIT_CODES_HELP = (
    "Exit codes: 0 scanned, and the configured criteria allow the image (or are never); "
    "1 could not run (invalid configuration, no scanner, image not found, daemon or registry "
    "unreachable); 2 invalid command line; 4 the scan failed (no usable report); "
    "5 the configured criteria block the image."
)

ImageArg = Annotated[
    str, typer.Argument(help="The image: a reference (nginx:1.27, registry/app@sha256:…).")
]
SEVERITY_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "negligible": "dim",
    "unknown": "magenta",
}


def scan(
    image: ImageArg,
    output: FormatOpt = OutputFormat.TABLE,
    host: HostOpt = None,
    log_level: LogOpt = None,
) -> None:
    """Scan one image for vulnerabilities and judge it by the configured criteria.

    The image is scanned by digest: the digest it names, else the one the local image was
    pulled as, else the one its tag points at in the registry (the image is pulled by that
    digest first when the scanners read the daemon, COLIBRI_SCAN_SOURCE=docker). Prints every
    finding, the counts per severity and the verdict of COLIBRI_CRITERIA (with its options);
    the report is stored with the scanners' versions and DB builds, for the update gate to
    reuse. Needs COLIBRI_SCANNER=trivy|grype|both.
    """
    with fail_cleanly():
        settings = load_settings(docker_host=host, log_level=log_level)
        configure_logging(settings.log_level)
        with bootstrap.scanner_service(settings) as service:
            outcome = service.scan(image)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(outcome.to_dict(), indent=2))
    else:
        print_scan(outcome)
    for warning in outcome.warnings:
        typer.echo(f"warning: {warning}", err=True)
    raise typer.Exit(exit_code_for(outcome))


def exit_code_for(outcome: ScanOutcome) -> int:
    """4 when the scan failed, 5 when the criteria block, else 0."""
    if outcome.failure is not None:
        return ExitCode.INCOMPLETE
    if outcome.decision.blocked:
        return EXIT_BLOCKED
    return ExitCode.OK


def print_scan(outcome: ScanOutcome) -> None:
    """The findings table, the counts and the verdict, for people."""
    from rich.console import Console
    from rich.text import Text

    from colibri.domain.scanning import SEVERITY_ORDER

    console = Console()
    console.print(Text(f"{outcome.repository}@{outcome.digest}", style="bold"))
    report = outcome.report
    if report is None:
        console.print(Text(f"scan failed: {outcome.failure.message if outcome.failure else ''}"))
    else:
        scanners = ", ".join(info.describe() for info in report.scanners)
        console.print(Text(f"scanned with {scanners}"))
        console.print(_findings_table(outcome) if report.findings else "No vulnerabilities found.")
        counts = ", ".join(f"{report.counts[s]} {s}" for s in SEVERITY_ORDER)
        console.print(Text(f"{len(report.findings)} finding(s): {counts}"))
    console.print(_verdict(outcome))


def _findings_table(outcome: ScanOutcome) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for column in ("Severity", "ID", "Package", "Installed", "Fixed in", "Fix", "Target"):
        table.add_column(column, overflow="fold")
    for finding in outcome.report.findings if outcome.report else ():
        table.add_row(
            Text(finding.severity.value, style=SEVERITY_STYLE.get(finding.severity.value, "")),
            Text(finding.id),
            Text(finding.package),
            Text(finding.version),
            Text(finding.fixed_version),
            Text(finding.fix_state.value),
            Text(finding.target),
        )
    return table


def _verdict(outcome: ScanOutcome) -> object:
    from rich.text import Text

    from colibri.domain.criteria import Level, Outcome

    decision = outcome.decision
    if decision.level is Level.NEVER:
        return Text("criteria never: updates are not gated on vulnerabilities")
    style = "bold green" if decision.allowed else "bold magenta"
    lines = [f"criteria {decision.level.phrase}: {decision.summary}"]
    if decision.outcome in (Outcome.VULNERABLE, Outcome.NOT_WORSE):
        lines.extend(f"  {reason}" for reason in decision.reasons)
    lines.extend(f"  suppressed {s.finding.id}: {s.reason}" for s in decision.suppressed)
    lines.extend(f"  warning: {warning}" for warning in decision.warnings)
    return Text("\n".join(lines), style=style)
