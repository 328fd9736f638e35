"""``colibri update``: replace containers' images, verified, with rollback."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import typer

from colibri.bootstrap import cli as bootstrap
from colibri.cli.common import ExitCode, OutputFormat, configure_logging, fail_cleanly
from colibri.cli.options import AllOpt, FormatOpt, HostOpt, LogOpt, NamesArg, StoppedOpt
from colibri.cli.render import print_recovery, print_update_table
from colibri.config import load_settings
from colibri.domain.journal import RunStatus, Step
from colibri.services.check import CheckRequest

if TYPE_CHECKING:
    from colibri.update.model import UpdateOutcome

__all__ = ["FAILPOINTS_HELP", "update"]

FAILPOINTS_HELP = (
    "Failpoints (tests): COLIBRI_FAILPOINT=<step> kills the process right after that step: "
    + ", ".join(s.value for s in Step if s not in {Step.RECOVER, Step.DONE, Step.HOOK})
    + "."
)
_FAILED = {RunStatus.FAILED, RunStatus.ROLLED_BACK, RunStatus.BLOCKED}

DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Pull nothing, change nothing; say what would happen.")
]
CleanupOpt = Annotated[
    bool, typer.Option("--cleanup", help="Remove the old image when nothing else uses it.")
]


def update(
    names: NamesArg = None,
    all_running: AllOpt = False,
    include_stopped: StoppedOpt = False,
    dry_run: DryRunOpt = False,
    cleanup: CleanupOpt = False,
    output: FormatOpt = OutputFormat.TABLE,
    host: HostOpt = None,
    log_level: LogOpt = None,
) -> None:
    """Update the selected containers whose tag points at a newer image.

    Each update pulls the exact digest that was checked, recreates the container with its
    configuration under a temporary name, stops the old one, swaps the names, starts the new
    one and verifies it (health check, or a stability window, and the optional colibri.probe);
    on failure the old container gets its name back and runs again. Interrupted updates are
    finished or undone first (see `colibri recover`). Statuses: updated, up_to_date,
    rolled_back, failed, skipped, blocked, would_update.
    """
    with fail_cleanly():
        settings = load_settings(docker_host=host, log_level=log_level)
        configure_logging(settings.log_level)
        request = CheckRequest(tuple(names or ()), all_running, include_stopped)
        with bootstrap.updater(settings) as service:
            options = bootstrap.update_options(settings, dry_run=dry_run, cleanup=cleanup)
            report = service.update(request, options)
        with bootstrap.notifications(settings) as notifications:
            for outcome in report.outcomes:
                if notifications is not None:
                    where = settings.environment
                    notifications.notify_outcome(outcome, environment=where, image="")
    outcomes = [*report.outcomes, *_excluded(report.excluded), *_missing(report.missing)]
    if output is OutputFormat.JSON:
        typer.echo(json.dumps([outcome.as_dict() for outcome in outcomes], indent=2))
    else:
        if report.recovered:
            print_recovery(report.recovered)
        print_update_table(outcomes)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    raise typer.Exit(exit_code_for(outcomes))


def _excluded(excluded: Mapping[str, str]) -> list[UpdateOutcome]:
    """What was selected but is not Colibri's to recreate (opted out, orchestrated): skipped,
    with the reason."""
    from colibri.update.model import UpdateOutcome

    return [UpdateOutcome(name, RunStatus.SKIPPED, why) for name, why in sorted(excluded.items())]


def _missing(names: tuple[str, ...]) -> list[UpdateOutcome]:
    from colibri.update.model import UpdateOutcome

    return [UpdateOutcome(name, RunStatus.FAILED, "no such container") for name in names]


def exit_code_for(outcomes: list[UpdateOutcome]) -> int:
    """4 when any container failed, was rolled back or was blocked; else 0."""
    if any(outcome.status in _FAILED for outcome in outcomes):
        return ExitCode.INCOMPLETE
    return ExitCode.OK
