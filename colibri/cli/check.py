"""``colibri check``: which containers have a newer image, without changing anything."""

from __future__ import annotations

import json

import typer

from colibri.bootstrap import cli as bootstrap
from colibri.cli.common import ExitCode, OutputFormat, configure_logging, fail_cleanly
from colibri.cli.options import AllOpt, FormatOpt, HostOpt, LogOpt, NamesArg, StoppedOpt
from colibri.cli.progress import DelayedProgress
from colibri.cli.render import print_check_table
from colibri.config import load_settings
from colibri.domain.model import CheckResult, CheckStatus
from colibri.services.check import CheckReport, CheckRequest

__all__ = ["check", "exit_code_for"]


def check(
    names: NamesArg = None,
    all_running: AllOpt = False,
    include_stopped: StoppedOpt = False,
    output: FormatOpt = OutputFormat.TABLE,
    host: HostOpt = None,
    log_level: LogOpt = None,
) -> None:
    """Ask each selected container's registry whether its tag points at a newer image.

    Selects the containers opted in by label (colibri.enable=true,
    io.containers.autoupdate=registry, com.centurylinklabs.watchtower.enable=true), or every
    running container with --all, or the containers named. colibri.enable=false always
    excludes. Statuses: up_to_date, update_available, pinned, local_only, no_reference,
    no_platform, deferred, skipped (by colibri skip), error. An offered update that is
    younger than its minimum age says when it is eligible.
    """
    with fail_cleanly():
        settings = load_settings(docker_host=host, log_level=log_level)
        configure_logging(settings.log_level)
        request = CheckRequest(tuple(names or ()), all_running, include_stopped)
        with bootstrap.checker(settings) as service:
            if output is OutputFormat.TABLE:
                with DelayedProgress("Checking") as progress:
                    report = service.check(request, progress.update)
            else:
                report = service.check(request)
        with bootstrap.notifications(settings) as notifications:
            if notifications is not None:
                notifications.notify_check(report.results, environment=settings.environment)
    results = [*report.results, *_missing(report)]
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([result.as_dict() for result in results], indent=2))
    else:
        print_check_table(results)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for name, why in report.excluded.items():
        typer.echo(f"note: {name} not checked: {why}", err=True)
    raise typer.Exit(exit_code_for(results))


def _missing(report: CheckReport) -> list[CheckResult]:
    return [
        CheckResult(
            container=name,
            image="",
            status=CheckStatus.ERROR,
            reason="no such container",
            error_kind="not_found",
        )
        for name in report.missing
    ]


def exit_code_for(results: list[CheckResult]) -> int:
    """4 if anything could not be checked, else 3 if an update is available, else 0."""
    statuses = {result.status for result in results}
    if statuses & {CheckStatus.ERROR, CheckStatus.DEFERRED}:
        return ExitCode.INCOMPLETE
    if CheckStatus.UPDATE_AVAILABLE in statuses:
        return ExitCode.UPDATES_AVAILABLE
    return ExitCode.OK
